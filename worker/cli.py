"""`reviewbot` subcommands of the worker room: worker, classify, rescore, demo, jobs ..."""

from datetime import UTC, datetime
from pathlib import Path

import typer

jobs_app = typer.Typer(
    help="Background jobs on RQ: job workers, the cron scheduler, enqueueing.", no_args_is_help=True
)


def worker_command(
    processes: int = typer.Option(
        None,
        "--processes",
        "-p",
        help="Worker processes (default: REVIEWBOT_WORKER_PROCESSES; 0 = one per GPU, else 1).",
    ),
    store: bool = typer.Option(
        True, "--store/--no-store", help="Save verdicts in the history database."
    ),
) -> None:
    """Serve the review stream: micro-batches through the model, answers, history."""
    from model import ModelSettings
    from worker.pool import default_processes, run_pool
    from worker.settings import WorkerSettings

    settings = WorkerSettings()
    model_settings = ModelSettings()
    if processes is not None:
        settings = settings.model_copy(update={"processes": processes})
    raise typer.Exit(
        run_pool(default_processes(settings, model_settings), settings, model_settings, store)
    )


def classify_command(
    text: str = typer.Argument(..., help="The review to classify."),
    timeout: float = typer.Option(30.0, help="Seconds to wait for the verdict."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole verdict as JSON."),
) -> None:
    """Classify one review through the running workers (`reviewbot worker` or `make demo`)."""
    import time

    from rich.console import Console

    from reviewbot.messages import Review, Source
    from worker.client import ResultTimeout, ReviewClient
    from worker.console import describe
    from worker.validation import SubmitError

    console = Console()
    client = ReviewClient()
    started = time.perf_counter()
    try:
        verdict = client.classify(Review(text=text, source=Source.API), timeout)
    except SubmitError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from None
    except ResultTimeout:
        console.print(
            f"[red]No verdict within {timeout:g} s.[/red] "
            "Is a worker running (`reviewbot worker` or "
            "`make demo`) on the same Redis? The review stays queued and will be classified."
        )
        raise typer.Exit(1) from None
    finally:
        client.close()
    if as_json:
        print(verdict.model_dump_json(indent=2))
    else:
        console.print(describe(verdict, (time.perf_counter() - started) * 1000))
    raise typer.Exit(0 if verdict.ok else 1)


def _moment(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date or ISO time (2026-01-31 or 2026-01-31T12:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rescore_command(
    since: str = typer.Option(
        ..., help="Re-score reviews received from this date/time (ISO, UTC unless given)."
    ),
    until: str = typer.Option(None, help="...and before this one (default: now)."),
    checkpoint: Path = typer.Option(
        None, help="Checkpoint folder to score with (default: the served one)."
    ),
    inline: bool = typer.Option(False, help="Run here and now instead of enqueueing an RQ job."),
) -> None:
    """Re-score stored history with a (new) checkpoint; predictions are kept per model version."""
    start, end = _moment(since), _moment(until)
    path = str(checkpoint.expanduser().resolve()) if checkpoint else None
    if inline:
        from worker.jobs import rescore

        typer.echo(rescore(start, end, path))
        return
    from worker.queueing import enqueue_rescore, jobs_queue

    _enqueued(enqueue_rescore(jobs_queue(), start, end, path))


def demo_command() -> None:
    """Embedded Redis + SQLite + a worker + a console: type reviews, see their verdicts."""
    from worker.demo import run_demo

    try:
        status = run_demo()
    except (RuntimeError, ImportError) as exc:
        typer.secho(f"demo failed: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(status)


# -- jobs ---------------------------------------------------------------------------------------
def _enqueued(job) -> None:
    typer.echo(f"enqueued job {job.id} on {job.origin}: {job.description}")
    typer.echo(
        "it runs on `reviewbot jobs worker`; follow it with `reviewbot jobs status " + job.id + "`"
    )


@jobs_app.command("worker")
def jobs_worker_command(
    processes: int = typer.Option(
        1, "--processes", "-p", help="Job worker processes (RQ worker-pool when > 1)."
    ),
    burst: bool = typer.Option(False, help="Exit once the queue is empty."),
) -> None:
    """Run RQ job workers (SimpleWorker: jobs run in-process, CUDA-safe; listed by `rq info`)."""
    from worker.queueing import jobs_queue, work

    work(jobs_queue(), processes, burst)


@jobs_app.command("cron")
def jobs_cron_command() -> None:
    """Run RQ's cron scheduler: the drift report and retention pruning on their schedules."""
    from worker.connection import connect_rq
    from worker.schedule import build_scheduler

    build_scheduler(connect_rq()).start()


@jobs_app.command("drift")
def jobs_drift_command(
    out_dir: Path = typer.Option(
        None, help="Folder for report.json and the plots (default: storage's)."
    ),
) -> None:
    """Enqueue a drift report over the default windows."""
    from worker.queueing import enqueue_drift, jobs_queue

    _enqueued(enqueue_drift(jobs_queue(), out_dir=str(out_dir) if out_dir else None))


@jobs_app.command("prune")
def jobs_prune_command(
    older_than_days: int = typer.Option(None, help="Default: REVIEWBOT_STORAGE_RETENTION_DAYS."),
) -> None:
    """Enqueue retention pruning."""
    from worker.queueing import enqueue_prune, jobs_queue

    _enqueued(enqueue_prune(jobs_queue(), older_than_days))


@jobs_app.command("forget")
def jobs_forget_command(
    source: str = typer.Argument(..., help="telegram, discord, console or api."),
    user_id: str = typer.Argument(...),
) -> None:
    """Enqueue the deletion of a person's stored reviews (what the bots' /forget does)."""
    from reviewbot.messages import Source
    from worker.queueing import enqueue_forget, jobs_queue

    try:
        Source(source)
    except ValueError:
        raise typer.BadParameter(
            f"source must be one of {', '.join(s.value for s in Source)}"
        ) from None
    _enqueued(enqueue_forget(jobs_queue(), source, user_id))


@jobs_app.command("train")
def jobs_train_command(
    data: str = typer.Argument(
        ..., help="A data file (CSV/Parquet/JSONL) or a built-in dataset name."
    ),
    out: Path = typer.Option(..., help="Checkpoint folder to write."),
    overwrite: bool = typer.Option(False, help="Replace an existing checkpoint folder."),
) -> None:
    """Enqueue a training run (settings: REVIEWBOT_TRAINING_* of the job worker)."""
    from worker.queueing import enqueue_train, jobs_queue

    target = str(out.expanduser().resolve())
    _enqueued(enqueue_train(jobs_queue(), data, target, overwrite))


@jobs_app.command("status")
def jobs_status_command(job_id: str = typer.Argument(...)) -> None:
    """A job's status, and its result or error."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from worker.connection import connect_rq

    try:
        job = Job.fetch(job_id, connection=connect_rq())
    except NoSuchJobError:
        typer.secho(f"no job {job_id} (finished jobs are kept a week)", fg="red", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{job.id}: {job.get_status().value}  {job.description}")
    if job.is_finished:
        typer.echo(f"result: {job.return_value()}")
    elif job.is_failed:
        typer.echo(job.latest_result().exc_string if job.latest_result() else "failed")


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root `reviewbot` app."""
    app.command("worker")(worker_command)
    app.command("classify")(classify_command)
    app.command("rescore")(rescore_command)
    app.command("demo")(demo_command)
    app.add_typer(jobs_app, name="jobs")
