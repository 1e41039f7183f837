"""`reviewbot worker`: the worker room's one command."""

import typer


def worker_command(
    processes: int = typer.Option(
        None,
        "--processes",
        "-p",
        help="Worker processes (default: REVIEWBOT_WORKER_PROCESSES; 0 = up to 4 per GPU, one per "
        "4 cores; 1 without a GPU).",
    ),
    store: bool = typer.Option(
        True, "--store/--no-store", help="Save verdicts in the history database."
    ),
) -> None:
    """Serve the review stream: micro-batches through the model, answers, history."""
    from model import CheckpointError, ModelSettings
    from model.checkpoint import validate
    from model.paths import default_checkpoint_dir
    from worker.pool import default_processes, run_pool
    from worker.settings import WorkerSettings

    settings = WorkerSettings()
    model_settings = ModelSettings()
    if processes is not None:
        settings = settings.model_copy(update={"processes": processes})
    try:
        # Before any process starts: a broken checkpoint is one sentence, not a traceback per
        # worker process (and a pool restarting them).
        # (worker.runner.checkpoint_path would import torch into the pool's supervisor.)
        validate(model_settings.checkpoint or default_checkpoint_dir())
        status = run_pool(
            default_processes(settings, model_settings), settings, model_settings, store
        )
    except CheckpointError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(status)


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root `reviewbot` app."""
    app.command("worker")(worker_command)
