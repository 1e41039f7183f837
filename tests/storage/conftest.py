"""Fixtures of the storage tests: every test runs on a fresh SQLite file and a fresh Postgres schema."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy

from storage import migrate
from storage.engine import make_engine


def postgres_schema_url(base_url: str, schema: str) -> str:
    """The URL of a Postgres connection whose tables, views and alembic_version live in `schema`."""
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a schema of its own in the shared Postgres (other runs
    use it too). Every test that touches a database runs on both."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.sqlite3'}"
        return
    base_url = request.getfixturevalue("postgres_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    try:
        yield postgres_schema_url(base_url, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """A migrated, empty history database."""
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    engine.dispose()
    return empty_database_url


@pytest.fixture
def store(database_url: str):
    from storage import open_store

    store = open_store(database_url)
    yield store
    store.close()
