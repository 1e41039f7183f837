"""`python -m bots.telegram`: the same as `reviewbot telegram`."""

import typer

from bots.telegram.cli import telegram_command

if __name__ == "__main__":
    typer.run(telegram_command)
