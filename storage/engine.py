"""Engines for the history database: SQLite tuned for one writer and many readers, or Postgres."""

import contextlib
from collections.abc import Iterator

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

from storage.errors import StoreUnavailable
from storage.settings import StorageSettings

SUPPORTED_DIALECTS = ("sqlite", "postgresql")


def dialect_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in SUPPORTED_DIALECTS:
        raise ValueError(
            f"unsupported database {name!r} in {url!r}: use sqlite:///FILE or postgresql+psycopg://..."
        )
    return name


def make_engine(url: str, settings: StorageSettings | None = None) -> Engine:
    settings = settings or StorageSettings()
    if dialect_of(url) == "sqlite":
        engine = create_engine(url, connect_args={"timeout": settings.sqlite_busy_timeout_s})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pre_ping replaces connections a restarted server has dropped, so a worker recovers by itself.
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers (admins, drift) never block the worker's writes; NORMAL is durable in WAL mode
    # except for the last transactions on power loss, which the worker's held acks cover.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # SQLite ignores foreign keys (and their ON DELETE CASCADE) unless asked, per connection.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def is_unavailable(error: exc.DBAPIError) -> bool:
    """Whether a database error means "cannot reach it now" rather than "this request is wrong"."""
    return error.connection_invalidated or isinstance(
        error, exc.OperationalError | exc.InterfaceError
    )


@contextlib.contextmanager
def unavailable_as_store_error(url: str) -> Iterator[None]:
    """Turn connection failures into StoreUnavailable, which callers retry; other errors pass unchanged."""
    try:
        yield
    except exc.DBAPIError as error:
        if is_unavailable(error):
            where = make_url(url).render_as_string(hide_password=True)
            raise StoreUnavailable(f"database {where} unavailable: {error.orig}") from error
        raise
