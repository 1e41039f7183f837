"""Schema migrations, run programmatically with Alembic (`reviewbot db upgrade`)."""

import contextlib
from contextlib import AbstractContextManager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from filelock import FileLock
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from storage.engine import writing

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def is_known(revision: str) -> bool:
    """Whether this code has the migration `revision` (False: the database was migrated by newer code)."""
    try:
        return ScriptDirectory.from_config(_config()).get_revision(revision) is not None
    except CommandError:
        return False


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    with _migration_lock(engine):
        _upgrade(engine, revision)


def upgrade_if_needed(engine: Engine) -> None:
    """Migrate to head unless already there, the check and the migration under one lock: several
    workers starting on a new embedded database create and migrate it once, one after the other,
    and none of them races another's first connection (which switches the file to WAL)."""
    with _migration_lock(engine):
        if current_revision(engine) != head_revision():
            _upgrade(engine, "head")


def _upgrade(engine: Engine, revision: str) -> None:
    with writing(engine).begin() as connection:
        config = _config()
        # Handing over the connection (not the URL) keeps URLs with '%' away from configparser
        # and lets tests migrate a schema of their own.
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    with _migration_lock(engine), writing(engine).begin() as connection:
        config = _config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _migration_lock(engine: Engine) -> AbstractContextManager:
    """Serialize migrations of one SQLite file across processes (several workers start at once).

    Postgres needs no file lock: each migration runs in a transaction that takes its own locks.
    """
    url = make_url(engine.url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return contextlib.nullcontext()
    return FileLock(f"{url.database}.migrate.lock")
