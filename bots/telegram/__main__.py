"""`python -m bots.telegram`: the same as `reviewbot telegram` (logging set up alike)."""

import sys

from reviewbot.cli import app

if __name__ == "__main__":
    app(["telegram", *sys.argv[1:]], prog_name="reviewbot")
