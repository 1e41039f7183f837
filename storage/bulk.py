"""Batch writes at the worker's rate: one statement per table and batch, no ORM on the way.

- SQLite: one `executemany` per table (the driver loops in C over a prepared statement).
- Postgres: COPY of the batch into a temporary staging table (ON COMMIT DELETE ROWS, so it is
  empty again after every transaction), then one INSERT ... SELECT ... ON CONFLICT per table.
  COPY ships the rows in one stream instead of thousands of bound parameters, and the upsert
  is then one statement over a local table.

The rows are tuples in the tables' column order, each value passed through the column type's
own bind processor (UTCDateTime to naive UTC, enums to their values, SQLite's date strings), so
what is stored is what the ORM would have stored. Everything runs on the caller's connection,
inside its transaction. Driver errors raised outside SQLAlchemy (psycopg's COPY) are wrapped
the way SQLAlchemy wraps its own (`DBAPIError.instance`), so callers classify both alike.

Measured with bench/storage_writes.py (batches of 256, 2 busy cores): see docs/storage.md.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Dialect, Table, exc

#: Staging tables are named after their table; temporary, so private to the connection.
STAGE_PREFIX = "reviewbot_stage_"


class BulkTable:
    """The columns of one table and how each value is turned into what the driver takes."""

    def __init__(self, table: Table, dialect: Dialect) -> None:
        self.table = table
        self.columns = [column.name for column in table.columns]
        self.processors: list[Callable[[Any], Any] | None] = [
            column.type.dialect_impl(dialect).bind_processor(dialect) for column in table.columns
        ]

    def rows(self, values: Sequence[dict]) -> list[tuple]:
        """Tuples in column order; a column missing from a dict is NULL."""
        pairs = list(zip(self.columns, self.processors, strict=True))
        return [
            tuple(
                (process(row.get(name)) if process else row.get(name)) if name in row else None
                for name, process in pairs
            )
            for row in values
        ]


def insert(
    connection: Connection, bulk: BulkTable, values: Sequence[dict], on_conflict: str
) -> None:
    """INSERT every row of `values` into the table (aliased `t`), ending with `on_conflict` (the
    SQL after ON CONFLICT): one statement on SQLite, COPY + one statement on Postgres. At most
    once per table and transaction (the staging table empties at commit)."""
    if not values:
        return
    rows = bulk.rows(values)
    name = bulk.table.name
    columns = ", ".join(bulk.columns)
    if connection.dialect.name == "postgresql":
        stage = STAGE_PREFIX + name
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} "
            f"(LIKE {name} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        _copy(connection, f"COPY {stage} ({columns}) FROM STDIN", rows)
        connection.exec_driver_sql(
            f"INSERT INTO {name} AS t ({columns}) SELECT {columns} FROM {stage} "
            f"ON CONFLICT {on_conflict}"
        )
        return
    marks = ", ".join("?" for _ in bulk.columns)
    connection.exec_driver_sql(
        f"INSERT INTO {name} AS t ({columns}) VALUES ({marks}) ON CONFLICT {on_conflict}", rows
    )


def _copy(connection: Connection, statement: str, rows: list[tuple]) -> None:
    driver = connection.connection.driver_connection
    with (
        _wrapped_driver_errors(connection, statement),
        driver.cursor() as cursor,
        cursor.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row(row)


@contextmanager
def _wrapped_driver_errors(connection: Connection, statement: str) -> Iterator[None]:
    """Raise a psycopg error as the SQLAlchemy DBAPIError subclass it maps to (OperationalError
    for a lost connection, IntegrityError, ...), as if SQLAlchemy had run the statement."""
    dbapi = connection.dialect.dbapi
    try:
        yield
    except dbapi.Error as error:
        invalidated = bool(getattr(connection.connection.driver_connection, "closed", False))
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
