"""A Postgres database created as SQL_ASCII (an old cluster's default) is migrated and stores
and returns Spanish and emoji text unchanged: the client speaks UTF-8 whatever the server's
encoding (before, even `reviewbot db upgrade` failed with a TypeError on bytes)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy
from sqlalchemy.engine import make_url

from storage import migrate, open_store
from storage.engine import make_engine
from tests.storage.history import verdict


@pytest.fixture
def sql_ascii_database_url(postgres_url: str):
    name = f"reviewbot_ascii_{uuid.uuid4().hex[:8]}"
    admin = sqlalchemy.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(
            f"CREATE DATABASE {name} ENCODING 'SQL_ASCII' TEMPLATE template0 "
            "LC_COLLATE 'C' LC_CTYPE 'C'"
        )
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def test_a_sql_ascii_database_keeps_spanish_and_emoji_text(sql_ascii_database_url):
    engine = make_engine(sql_ascii_database_url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    text = "Una película preciosa, ¡qué final! 🎬🍿"
    stored = verdict(0.9, text=text)
    with open_store(sql_ascii_database_url) as store:
        store.save_verdicts([stored])
        rows = list(store.reviews_since(datetime.now(UTC) - timedelta(hours=1)))
    assert [row.text for row in rows] == [text]
