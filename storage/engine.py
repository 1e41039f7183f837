"""Engines for the history database: SQLite tuned for one writer and many readers, or Postgres."""

import contextlib
from collections.abc import Iterator

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

from storage.checkpoints import WRITER_CHECKPOINT_PAGES
from storage.errors import StoreRefused, StoreUnavailable, reason_of
from storage.settings import StorageSettings

SUPPORTED_DIALECTS = ("sqlite", "postgresql")


def dialect_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in SUPPORTED_DIALECTS:
        raise ValueError(
            f"unsupported database {name!r} in {url!r}: use sqlite:///FILE or postgresql+psycopg://..."
        )
    return name


#: Execution option of connections whose transactions write: on SQLite they begin with
#: BEGIN IMMEDIATE (see _sqlite_begin). `writing(engine)` sets it.
SQLITE_WRITE_OPTION = "reviewbot_sqlite_write"


def make_engine(url: str, settings: StorageSettings | None = None) -> Engine:
    settings = settings or StorageSettings()
    if dialect_of(url) == "sqlite":
        engine = create_engine(url, connect_args={"timeout": settings.sqlite_busy_timeout_s})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # pre_ping replaces connections a restarted server has dropped, so a worker recovers by itself.
    # client_encoding: a database created as SQL_ASCII (some old clusters' default) would
    # otherwise hand psycopg bytes, and even SQLAlchemy's version check failed with a TypeError;
    # with UTF-8 on the client, text round-trips as UTF-8 whatever the server's encoding.
    engine = create_engine(
        url, pool_pre_ping=True, connect_args={"connect_timeout": 5, "client_encoding": "utf8"}
    )
    event.listen(engine, "handle_error", _read_only_is_a_disconnect)
    return engine


#: Postgres SQLSTATEs (and classes, by their first two characters) of refusals that hit every
#: write alike, whatever the row: the database is not usable for writing until someone acts.
#: Counted as an outage (acks held, retried), never as an error of the reviews in the batch.
REFUSALS = {
    "42501": "permission denied",
    "25006": "read-only transaction (a failover to a standby?)",
    "42P01": "a table is missing (schema not migrated?)",
    "3F000": "the schema is missing",
    "42703": "a column is missing (schema not migrated?)",
    "53": "the server is out of resources (disk full?)",
    "57": "the server is shutting down or refusing connections",
    "08": "connection failure",
}


def refusal(error: exc.DBAPIError) -> str | None:
    """Why the database refuses all writes, or None when the error is about this request."""
    state = getattr(error.orig, "sqlstate", None) or ""
    return REFUSALS.get(state) or REFUSALS.get(state[:2])


def is_read_only(driver_error: BaseException) -> bool:
    """A driver error saying this session's transactions are read-only: it talks to a standby,
    or its role was made read-only. Only a new connection can get past it."""
    return getattr(driver_error, "sqlstate", None) == "25006"


def _read_only_is_a_disconnect(context) -> None:
    """A read-only transaction means this session talks to a standby: drop the pool, so the
    retry connects again (to the promoted primary, or with the role's restored settings)."""
    if is_read_only(context.original_exception):
        context.is_disconnect = True


def writing(engine: Engine) -> Engine:
    """The same engine (and pool) for transactions that write: on SQLite they take the write
    lock when they begin, so they wait for it (up to the busy timeout) instead of failing."""
    return engine.execution_options(**{SQLITE_WRITE_OPTION: True})


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite begins transactions itself, lazily, before the first INSERT/UPDATE/DELETE only,
    # so a transaction that reads first starts as a read and must be upgraded to a write; SQLite
    # then answers "database is locked" at once, without waiting, when another connection
    # writes (waiting could deadlock). SQLAlchemy's documented recipe for pysqlite: turn its
    # transaction handling off here and emit our own BEGIN in the "begin" event.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL: readers (admins, drift) never block the worker's writes; NORMAL is durable in WAL mode
    # except for the last transactions on power loss, which the worker's held acks cover.
    # Switching the journal mode needs the database to itself, and two connections switching
    # a new file at once fail with "locked" without waiting: switch only when it is not WAL yet
    # (WAL is stored in the file; open_store creates and migrates it under a file lock).
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # The Store checkpoints the log from a thread of its own (checkpoints.py); a commit copies
    # it back itself only past this much larger mark.
    cursor.execute(f"PRAGMA wal_autocheckpoint={WRITER_CHECKPOINT_PAGES}")
    # SQLite ignores foreign keys (and their ON DELETE CASCADE) unless asked, per connection.
    cursor.execute("PRAGMA foreign_keys=ON")
    # Deleted and overwritten content is zeroed in the file, not left in free pages: what
    # forget and retention erase is gone from the database file once the WAL is checkpointed.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_begin(connection) -> None:
    """BEGIN IMMEDIATE for writing transactions (they hold the write lock from the start, so
    one never fails as a read upgraded to a write), a plain deferred BEGIN for reads (readers
    never block the worker's writes in WAL mode)."""
    write = connection.get_execution_options().get(SQLITE_WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def is_unavailable(error: exc.DBAPIError) -> bool:
    """Whether a database error means "cannot use it now" rather than "this request is wrong":
    unreachable (SQLite: locked, read-only file, disk full, no such table) or refusing every
    write (Postgres SQLSTATEs in REFUSALS)."""
    return (
        error.connection_invalidated
        or isinstance(error, exc.OperationalError | exc.InterfaceError)
        or refusal(error) is not None
    )


@contextlib.contextmanager
def unavailable_as_store_error(url: str) -> Iterator[None]:
    """Turn outages into StoreUnavailable (StoreRefused when the server answers but refuses
    every write), which callers retry; errors about the request itself pass unchanged."""
    try:
        yield
    except exc.DBAPIError as error:
        if is_unavailable(error):
            where = make_url(url).render_as_string(hide_password=True)
            why = refusal(error)
            if why and not isinstance(error, exc.OperationalError | exc.InterfaceError):
                raise StoreRefused(
                    f"database {where} refuses writes: {why}: {reason_of(error)}"
                ) from error
            raise StoreUnavailable(f"database {where} unavailable: {reason_of(error)}") from error
        raise
