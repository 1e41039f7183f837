"""`reviewbot` subcommands of the training room."""

import typer


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root `reviewbot` app."""
