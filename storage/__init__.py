"""Review history in SQLite (default) or Postgres: the worker's writes, admin SQL, drift, feedback."""

import logging
from typing import TYPE_CHECKING

from storage.errors import StoreNotMigrated, StoreUnavailable

if TYPE_CHECKING:
    from storage.store import Store

__all__ = ["Store", "StoreNotMigrated", "StoreUnavailable", "open_store"]

log = logging.getLogger(__name__)


def __getattr__(name: str):
    # Store pulls in SQLAlchemy; loading it on first use keeps `reviewbot --help` fast.
    if name == "Store":
        from storage.store import Store

        return Store
    raise AttributeError(f"module 'storage' has no attribute {name!r}")


def open_store(url: str | None = None) -> "Store":
    """Open the history database at `url` (None: REVIEWBOT_DATABASE_URL, else SQLite under REVIEWBOT_HOME).

    A SQLite database is created and migrated on first open. A server database must be migrated
    with `reviewbot db upgrade` (one deploy step, not a race between workers); opening one with an
    older schema raises StoreNotMigrated. A server that cannot be reached yet is not an error here:
    the Store's methods raise StoreUnavailable until it is back.
    """
    from storage import migrate
    from storage.engine import dialect_of, make_engine, unavailable_as_store_error
    from storage.settings import StorageSettings
    from storage.store import Store

    url = url or StorageSettings().url()
    engine = make_engine(url)
    if dialect_of(url) == "sqlite":
        try:
            with unavailable_as_store_error(url):
                migrate.upgrade_if_needed(engine)
        except OSError as error:  # the lock file beside it cannot be created: same as the file
            engine.dispose()
            raise StoreUnavailable(f"database {url} unavailable: {error}") from error
        return Store(engine)
    try:
        with unavailable_as_store_error(url):
            current = migrate.current_revision(engine)
    except StoreUnavailable as error:
        log.warning("%s; the store will retry on use", error)
        return Store(engine)
    head = migrate.head_revision()
    if current != head:
        engine.dispose()
        if current is not None and not migrate.is_known(current):
            raise StoreNotMigrated(
                f"database schema {current} is newer than this ReviewBot ({head}): upgrade ReviewBot"
            )
        raise StoreNotMigrated(
            f"database schema is at {current or 'nothing'}, this ReviewBot needs {head}: "
            "run `reviewbot db upgrade`"
        )
    return Store(engine)
