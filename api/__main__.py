"""`python -m api`: the same as `reviewbot api` (the demo starts it this way)."""

import logging

from api.server import serve
from reviewbot.settings import CommonSettings

logging.basicConfig(
    level=CommonSettings().log_level.upper(),
    format="%(asctime)s %(levelname)s %(name)s: %(message)s",
)
serve()
