"""`reviewbot rescore` and `reviewbot jobs ...`: RQ job workers, the cron scheduler, enqueueing."""

from datetime import UTC, datetime
from pathlib import Path

import typer

jobs_app = typer.Typer(
    help="Background jobs on RQ: job workers, the cron scheduler, enqueueing.", no_args_is_help=True
)


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
        from jobs.tasks import rescore

        typer.echo(rescore(start, end, path))
        return
    from jobs.queueing import enqueue_rescore, jobs_queue

    _enqueued(enqueue_rescore(jobs_queue(), start, end, path))


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
    from jobs.queueing import jobs_queue, work

    work(jobs_queue(), processes, burst)


@jobs_app.command("cron")
def jobs_cron_command() -> None:
    """Run RQ's cron scheduler: the drift report and retention pruning on their schedules."""
    from jobs.schedule import build_scheduler
    from reviewbot.connection import connect_rq

    build_scheduler(connect_rq()).start()


@jobs_app.command("drift")
def jobs_drift_command(
    out_dir: Path = typer.Option(
        None, help="Folder for report.json and the plots (default: storage's)."
    ),
) -> None:
    """Enqueue a drift report over the default windows."""
    from jobs.queueing import enqueue_drift, jobs_queue

    _enqueued(enqueue_drift(jobs_queue(), out_dir=str(out_dir) if out_dir else None))


@jobs_app.command("prune")
def jobs_prune_command(
    older_than_days: int = typer.Option(None, help="Default: REVIEWBOT_STORAGE_RETENTION_DAYS."),
) -> None:
    """Enqueue retention pruning."""
    from jobs.queueing import enqueue_prune, jobs_queue

    _enqueued(enqueue_prune(jobs_queue(), older_than_days))


@jobs_app.command("forget")
def jobs_forget_command(
    source: str = typer.Argument(..., help="telegram, discord, console or api."),
    user_id: str = typer.Argument(...),
) -> None:
    """Enqueue the deletion of a person's stored reviews (what the bots' /forget does)."""
    from jobs.queueing import enqueue_forget, jobs_queue
    from reviewbot.messages import Source

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
    from jobs.queueing import enqueue_train, jobs_queue

    target = str(out.expanduser().resolve())
    _enqueued(enqueue_train(jobs_queue(), data, target, overwrite))


@jobs_app.command("status")
def jobs_status_command(job_id: str = typer.Argument(...)) -> None:
    """A job's status, and its result or error."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    from reviewbot.connection import connect_rq

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
    app.command("rescore")(rescore_command)
    app.add_typer(jobs_app, name="jobs")
