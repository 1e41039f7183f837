"""Ad-hoc read-only SQL for admins (`reviewbot sql`): the database itself refuses writes.

A keyword check is easy to get around (CTEs with DELETE, functions with side effects, PRAGMAs), so
each query runs on a connection the database has made read-only, as exactly one statement, in a
transaction that is always rolled back:
- SQLite: `PRAGMA query_only` plus an authorizer that lets a statement read and nothing else
  (no PRAGMA, ATTACH or writes);
- Postgres: a READ ONLY transaction, a server-side prepared statement (which cannot hold a second
  command such as `COMMIT; DELETE ...`) and a statement timeout.
"""

import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from storage.engine import dialect_of, make_engine, unavailable_as_store_error


class QueryError(Exception):
    """The database rejected the query (syntax, unknown table, timeout); the message says why."""


class QueryRefused(QueryError):
    """The query tried to write, or is not a single statement."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def run_readonly(
    url: str, query: str, timeout_s: float = 30.0, max_rows: int | None = None
) -> QueryResult:
    """Run one read-only statement and return its rows (at most `max_rows`)."""
    # An engine of its own whose one connection is thrown away afterwards, so its read-only
    # state never leaks into a pool.
    engine = make_engine(url)
    run = _run_sqlite if dialect_of(url) == "sqlite" else _run_postgres
    try:
        with unavailable_as_store_error(url), engine.connect() as connection:
            try:
                return run(connection.connection.driver_connection, query, timeout_s, max_rows)
            finally:
                connection.invalidate()
    finally:
        engine.dispose()


def _fetch(cursor, max_rows: int | None) -> QueryResult:
    if cursor.description is None:
        raise QueryRefused(
            "the statement returns no rows; only queries (SELECT, WITH ... SELECT) are allowed"
        )
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchall() if max_rows is None else cursor.fetchmany(max_rows)
    return QueryResult(columns, [tuple(row) for row in rows])


# SQLite authorizer actions a plain query needs; everything else (INSERT, PRAGMA, ATTACH, ...) is denied.
_SQLITE_READ_ACTIONS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
}


def _sqlite_authorizer(action: int, *_args) -> int:
    return sqlite3.SQLITE_OK if action in _SQLITE_READ_ACTIONS else sqlite3.SQLITE_DENY


def _run_sqlite(
    connection: sqlite3.Connection, query: str, timeout_s: float, max_rows: int | None
) -> QueryResult:
    connection.execute("PRAGMA query_only = ON")
    connection.set_authorizer(_sqlite_authorizer)
    _sqlite_deadline(connection, timeout_s)
    try:
        return _fetch(connection.execute(query), max_rows)
    except sqlite3.ProgrammingError as error:
        if "one statement" in str(error):
            raise QueryRefused("refused: exactly one statement per query") from error
        raise QueryError(str(error)) from error
    except sqlite3.DatabaseError as error:
        if "not authorized" in str(error) or "readonly" in str(error):
            raise QueryRefused(f"refused: read-only queries only ({error})") from error
        if "interrupted" in str(error):
            raise QueryError(f"query ran longer than {timeout_s:g}s and was stopped") from error
        raise QueryError(str(error)) from error
    finally:
        connection.rollback()


def _sqlite_deadline(connection: sqlite3.Connection, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    # Returning non-zero from the progress handler interrupts the statement.
    connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)


def _run_postgres(connection, query: str, timeout_s: float, max_rows: int | None) -> QueryResult:
    import psycopg

    connection.rollback()
    connection.read_only = True  # the next transaction starts with BEGIN READ ONLY
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
        try:
            cursor.execute(query, prepare=True)
            return _fetch(cursor, max_rows)
        except psycopg.errors.ReadOnlySqlTransaction as error:
            raise QueryRefused(f"refused: read-only queries only ({error})") from error
        except psycopg.errors.SyntaxError as error:
            if "multiple commands" in str(error):
                raise QueryRefused("refused: exactly one statement per query") from error
            raise QueryError(str(error)) from error
        except (
            psycopg.errors.ProgrammingError,
            psycopg.errors.DataError,
            psycopg.errors.QueryCanceled,
        ) as error:
            raise QueryError(str(error)) from error
        finally:
            connection.rollback()
