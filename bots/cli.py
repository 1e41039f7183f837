"""`reviewbot` subcommands of the bots room."""

import typer


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root `reviewbot` app."""
    __import__("bots.telegram.cli", fromlist=["register"]).register(app)
    __import__("bots.discord.cli", fromlist=["register"]).register(app)
