"""`reviewbot worker`: the worker room's one command."""

import typer


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


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root `reviewbot` app."""
    app.command("worker")(worker_command)
