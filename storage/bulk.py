"""Batch writes at the worker's rate: a few statements per table and batch, no ORM on the way.

- SQLite: multi-row INSERTs of up to 64 rows, a handful per table and batch (not
  `executemany`, whose every row costs the writer thread a fresh turn at the GIL).
- Postgres: COPY of the batch straight into the table, inside a savepoint. A new batch, which
  is nearly every batch, is then written. A batch holding a stored review (a redelivery, a
  retry after an error) fails that COPY on the unique index; the savepoint is rolled back and
  the batch is COPYed into a temporary staging table (ON COMMIT DELETE ROWS, so it is empty
  again after every transaction), then upserted with one INSERT ... SELECT ... ON CONFLICT per
  table. COPY ships the rows in one stream instead of thousands of bound parameters, and
  COPY into the table skips what the staging path costs the server: writing and reading the
  staging table and the upsert's speculative insertion (median of five runs with 100,000
  reviews stored: server CPU 32.6 -> 27.3 µs a verdict, 18.1k -> 20.7k verdicts/s; a
  redelivered batch pays the failed COPY on top). Every COPY is binary, with the column types
  the database reports (`_copy`).

The rows are tuples in the tables' column order, each value passed through the column type's
own bind processor, or a cheaper equivalent for the common types (UTCDateTime to naive UTC,
SQLite's date strings; enums bound as their values), so what is stored is what the ORM would
have stored (tests/storage/test_bulk.py compares them). Everything runs on the caller's connection,
inside its transaction. Driver errors raised outside SQLAlchemy (psycopg's COPY) are wrapped
the way SQLAlchemy wraps its own (`DBAPIError.instance`), so callers classify both alike.

Measured with bench/storage_writes.py (batches of 256, 2 busy cores): see docs/storage.md.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import chain
from typing import Any

from sqlalchemy import Boolean, Connection, Dialect, Enum, Float, Integer, Table, exc
from sqlalchemy.types import TypeEngine

from storage.engine import is_read_only
from storage.schema import UTCDateTime

#: Staging tables are named after their table; temporary, so private to the connection.
STAGE_PREFIX = "reviewbot_stage_"
#: SQLite: most rows in one INSERT, and most bound values a statement may hold (999 before
#: SQLite 3.32, the oldest default; 64 rows of the 13 columns of predictions is 832).
SQLITE_ROWS_AT_ONCE = 64
SQLITE_VARIABLES = 999
#: Postgres SQLSTATE unique_violation: a COPY straight into the table met a stored row.
UNIQUE_VIOLATION = "23505"
_ZERO = timedelta(0)


class BulkTable:
    """The columns of one table and how each value is turned into what the driver takes."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.columns = [column.name for column in table.columns]
        #: (position, converter, whether to convert each distinct value once) of the columns
        #: whose values need converting; the others are passed as they are. Times, enums and
        #: bools are converted once per distinct value: a batch's rows share their
        #: classification time (~1.2 µs a time on SQLite) and a handful of members.
        self.converted = [
            (position, convert, isinstance(column.type, UTCDateTime | Enum | Boolean))
            for position, column in enumerate(table.columns)
            if (convert := _converter(column.type, dialect)) is not None
        ]
        #: Postgres: the type oid of each column, read from the database at the first COPY
        #: (a binary COPY sends each value in its column's exact type).
        self.copy_types: list[int] | None = None

    def rows(self, values: Sequence[dict]) -> list[tuple]:
        """Rows in column order; a column missing from a dict is NULL."""
        columns, converted = self.columns, self.converted
        done: list[dict] = [{} for _ in converted]
        rows = []
        for value in values:
            row = list(map(value.get, columns))
            for (position, convert, once), seen in zip(converted, done, strict=True):
                cell = row[position]
                if cell is None:
                    continue
                if not once:
                    row[position] = convert(cell)
                elif (stored := seen.get(cell)) is not None:
                    row[position] = stored
                else:
                    row[position] = seen[cell] = convert(cell)
            rows.append(tuple(row))  # SQLAlchemy's executemany takes tuples or dicts
        return rows


def _converter(type_: TypeEngine, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column type's bind processor, or an equivalent that is cheaper per value where one
    is known, or None where the driver takes the value as it is: the generic processors were
    most of a batch's CPU time (building a batch's SQLite rows took 12.5 µs a review with them,
    6 µs now; formatting a time ~1.2 µs)."""
    sqlite = dialect.name == "sqlite"
    if isinstance(type_, UTCDateTime):
        return _sqlite_datetime if sqlite else _utc_naive
    if isinstance(type_, Enum) and type_.enum_class is not None:
        # StrEnum members are str: drivers bind them as their value, which is what is stored.
        # Python's sqlite3 binds only exact str, int and float directly: for a subclass (a
        # StrEnum member, a bool) it first looks for an adapter, a failed attribute lookup
        # that formats an AttributeError's message: ~0.8 µs a value, 4 µs a verdict. So
        # SQLite gets the members' plain values, and bools as ints (what SQLite stores).
        return _plain_str if sqlite else None
    if isinstance(type_, Boolean):
        return int if sqlite else None
    if isinstance(type_, Float | Integer):
        # The values are Python floats and ints (typed by the messages), which both drivers
        # bind as they are; the processors would only check and coerce them again.
        return None
    return type_.dialect_impl(dialect).bind_processor(dialect)


def _plain_str(member: str) -> str:
    """A StrEnum member's value as an exact str."""
    return str.__str__(member)


def _utc_naive(value: datetime | None) -> datetime | None:
    """UTCDateTime.process_bind_param, without its generic path for the common UTC case."""
    if value is None or value.tzinfo is None:
        return value
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None)


def _sqlite_datetime(value: datetime) -> str:
    """What SQLAlchemy's SQLite DATETIME stores: "YYYY-MM-DD HH:MM:SS.ffffff"."""
    if value.utcoffset() == _ZERO:  # UTC, however its tzinfo is spelled: cut "+00:00" off
        return value.isoformat(" ", "microseconds")[:-6]
    return _utc_naive(value).isoformat(" ", "microseconds")


def insert(
    connection: Connection, bulk: BulkTable, values: Sequence[dict], on_conflict: str
) -> None:
    """INSERT every row of `values` into the table (aliased `t`), ending with `on_conflict` (the
    SQL after ON CONFLICT): a few multi-row statements on SQLite; on Postgres a COPY, or when
    a row is already stored, COPY into the staging table + one statement. At most once per
    table and transaction (the staging table empties at commit)."""
    if not values:
        return
    rows = bulk.rows(values)
    if connection.dialect.name == "postgresql":
        try:
            _copy_or_upsert(connection, bulk, rows, on_conflict)
        except exc.DBAPIError:
            bulk.copy_types = None  # read again: a migration may have changed a column's type
            raise
        return
    _insert_rows_at_once(connection, bulk, rows, on_conflict)


def _insert_rows_at_once(
    connection: Connection, bulk: BulkTable, rows: list[tuple], on_conflict: str
) -> None:
    """SQLite: multi-row INSERTs of up to SQLITE_ROWS_AT_ONCE rows (powers of two, so a
    handful of statements, each prepared once per connection).

    Python's sqlite3 releases the GIL around every step of a statement, which in `executemany`
    is every row, and each time the writer must win the GIL back: while another thread of the
    worker runs Python, that wait lasts up to the switch interval (5 ms). Batches of 256
    verdicts, alternated in one process, median wall a verdict, executemany against these
    statements: alone 26.5-27.0 against 27.0-27.3 µs; beside a thread that runs Python for
    20 / 100 / 500 µs between GIL-free calls of 76 µs, 41.8 / 43.9 / 281 against 36.7 / 28.6 /
    66.8 µs; beside one looping in Python, 17.5 ms against 0.26 ms."""
    insert_into = f"INSERT INTO {bulk.table.name} AS t ({', '.join(bulk.columns)}) VALUES"
    conflict = f"ON CONFLICT {on_conflict}"
    one_row = "(" + ", ".join("?" for _ in bulk.columns) + ")"
    most = 1 << ((SQLITE_VARIABLES // len(bulk.columns)).bit_length() - 1)  # a power of two
    start, size = 0, min(most, SQLITE_ROWS_AT_ONCE)
    # The batch's transaction is the caller's: these statements run inside it, on its connection.
    cursor = connection.connection.driver_connection.cursor()
    while start < len(rows):
        while size > len(rows) - start:
            size //= 2
        statement = f"{insert_into} {', '.join([one_row] * size)} {conflict}"
        # Errors show the statement with its rows counted, not 64 copies of "(?, ?, ...)".
        with _wrapped_driver_errors(connection, f"{insert_into} <{size} rows> {conflict}"):
            cursor.execute(statement, tuple(chain.from_iterable(rows[start : start + size])))
        start += size
    cursor.close()


def _copy_or_upsert(
    connection: Connection, bulk: BulkTable, rows: list[tuple], on_conflict: str
) -> None:
    name = bulk.table.name
    columns = ", ".join(bulk.columns)
    types = _copy_types(connection, bulk)
    if _copied_directly(connection, name, columns, rows, types):
        return
    stage = STAGE_PREFIX + name
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} "
        f"(LIKE {name} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    _copy(connection, f"COPY {stage} ({columns}) FROM STDIN", rows, types)
    connection.exec_driver_sql(
        f"INSERT INTO {name} AS t ({columns}) SELECT {columns} FROM {stage} "
        f"ON CONFLICT {on_conflict}"
    )


def _copy_types(connection: Connection, bulk: BulkTable) -> list[int] | None:
    """The type oids of the table's columns, in column order, read once per table; None (a
    text COPY, which leaves the error to the server) when a column is missing."""
    if bulk.copy_types is None:
        found = dict(
            connection.exec_driver_sql(
                "SELECT attname, atttypid::int FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                (bulk.table.name,),
            ).all()
        )
        if not all(column in found for column in bulk.columns):
            return None
        bulk.copy_types = [found[column] for column in bulk.columns]
    return bulk.copy_types


def _copied_directly(
    connection: Connection, name: str, columns: str, rows: list[tuple], types: list[int] | None
) -> bool:
    """COPY the rows straight into the table, inside a savepoint; False (and nothing written)
    when one of them is already stored, which only a redelivered or retried batch meets."""
    try:
        with connection.begin_nested():
            _copy(connection, f"COPY {name} ({columns}) FROM STDIN", rows, types)
    except exc.IntegrityError as error:
        if getattr(error.orig, "sqlstate", None) != UNIQUE_VIOLATION:
            raise
        return False
    return True


def _copy(
    connection: Connection, statement: str, rows: list[tuple], types: list[int] | None = None
) -> None:
    """COPY `rows` with `statement`; in binary format when the columns' `types` are given.

    Binary COPY: psycopg packs each value in C from its column's type instead of formatting
    it as text, and the server reads it without parsing (a batch of 256 predictions: 4.7 ->
    1.0 µs a row in the client, 20.3 -> 13.7 µs a row for the whole COPY). The values must be
    of their column's Python type, which the typed messages make them; a value that is not is
    refused here as bad data (DataError), as the server refuses it in text. One exception:
    psycopg packs an int past 2**31 into an int4 column without complaint, truncated; the
    integer columns written here hold counts (characters, tokens, batch sizes) far below it."""
    driver = connection.connection.driver_connection
    if types is not None:
        statement += " (FORMAT BINARY)"
    with (
        _wrapped_driver_errors(connection, statement),
        driver.cursor() as cursor,
        cursor.copy(statement) as copy,
    ):
        if types is not None:
            copy.set_types(types)
        try:
            for row in rows:
                copy.write_row(row)
        except (TypeError, ValueError) as error:
            raise connection.dialect.dbapi.DataError(f"{error} in a row of {statement}") from error


@contextmanager
def _wrapped_driver_errors(connection: Connection, statement: str) -> Iterator[None]:
    """Raise a psycopg error as the SQLAlchemy DBAPIError subclass it maps to (OperationalError
    for a lost connection, IntegrityError, ...), as if SQLAlchemy had run the statement. A
    connection that is closed, or read-only (the engine's handle_error hook is not run here),
    is invalidated, so the retry takes a new one."""
    dbapi = connection.dialect.dbapi
    try:
        yield
    except dbapi.Error as error:
        closed = bool(getattr(connection.connection.driver_connection, "closed", False))
        invalidated = closed or is_read_only(error)
        if invalidated:
            connection.invalidate(error)
        raise exc.DBAPIError.instance(
            statement,
            None,
            error,
            dbapi.Error,
            connection_invalidated=invalidated,
            dialect=connection.dialect,
        ) from error
