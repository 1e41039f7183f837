"""`reviewbot`: one command, each room adds its own subcommands in its `cli.py`.

Room cli modules import heavy libraries (torch, SQLAlchemy, ...) inside their commands, so
`reviewbot --help` stays fast.
"""

import logging

import typer

from bots import cli as bots_cli
from drift import cli as drift_cli
from frontend import cli as frontend_cli
from jobs import cli as jobs_cli
from model import cli as model_cli
from reviewbot.settings import CommonSettings
from storage import cli as storage_cli
from training import cli as training_cli
from worker import cli as worker_cli

app = typer.Typer(
    name="reviewbot",
    help="Sentiment of movie reviews sent to chat bots.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main() -> None:
    logging.basicConfig(
        level=CommonSettings().log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


for room in (model_cli, training_cli, worker_cli, frontend_cli, jobs_cli, storage_cli, drift_cli, bots_cli):
    room.register(app)
