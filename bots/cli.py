"""`reviewbot` subcommands of the bots room: `reviewbot telegram` and `reviewbot discord`.

Each bot's cli module imports its libraries inside the command, so `reviewbot --help` stays fast.
"""

import typer

from bots.discord import cli as discord_cli
from bots.telegram import cli as telegram_cli


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root `reviewbot` app."""
    telegram_cli.register(app)
    discord_cli.register(app)
