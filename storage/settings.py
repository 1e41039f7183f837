"""Settings of the storage room (prefix REVIEWBOT_STORAGE_; the database URL is REVIEWBOT_DATABASE_URL)."""

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings

from reviewbot.settings import CommonSettings, room_config

SQLITE_FILE = "reviewbot.sqlite3"


class StorageSettings(BaseSettings):
    model_config = room_config("REVIEWBOT_STORAGE_")

    #: SQLAlchemy URL of the history database. Empty: a SQLite file under REVIEWBOT_HOME,
    #: migrated automatically on first open. Postgres: postgresql+psycopg://user@host/db.
    #: Named without the room prefix because every service of a deployment shares it.
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("REVIEWBOT_DATABASE_URL", "REVIEWBOT_STORAGE_DATABASE_URL"),
    )
    #: URL `reviewbot sql` connects with. Empty: database_url. Point it at a read-only role when
    #: people you don't fully trust run ad-hoc SQL; the read-only transaction is a guard, not a boundary.
    sql_url: str = ""
    #: `reviewbot sql` aborts a query that runs longer than this.
    sql_timeout_s: float = 30.0
    #: Text, chat and user ids of reviews older than this many days are erased by `prune`
    #: (the scores stay, anonymous, for drift history). 0 keeps everything.
    retention_days: int = 365
    #: Seconds a SQLite writer waits for another writer's lock before giving up.
    sqlite_busy_timeout_s: float = 10.0

    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{CommonSettings().home_dir() / SQLITE_FILE}"
