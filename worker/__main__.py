"""`python -m worker ...` = `reviewbot ...`: how the demo starts its worker process with the
same interpreter, whether or not the `reviewbot` script is on PATH."""

from reviewbot.cli import app

app(prog_name="reviewbot")
