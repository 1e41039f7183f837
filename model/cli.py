"""`reviewbot model ...`: build and locate the checkpoints the worker serves."""

import typer

model_app = typer.Typer(help="Build and locate model checkpoints.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root `reviewbot` app."""
    app.add_typer(model_app, name="model")
