"""Migrations: from an empty database up to head (tables, indexes, views), down and up again."""

import pytest
import sqlalchemy

from storage import StoreNotMigrated, migrate, open_store
from storage.engine import make_engine

TABLES = {"model_versions", "reviews", "predictions", "feedback"}
VIEWS = {
    "daily_reviews",
    "daily_low_confidence",
    "feedback_vs_model",
    "daily_feedback_disagreement",
    "model_comparison",
}


def _inspect(url: str) -> tuple[set[str], set[str], str | None]:
    engine = make_engine(url)
    inspector = sqlalchemy.inspect(engine)
    tables, views = set(inspector.get_table_names()), set(inspector.get_view_names())
    revision = migrate.current_revision(engine)
    engine.dispose()
    return tables, views, revision


def test_upgrade_from_empty_creates_tables_and_views_then_downgrade_removes_them(
    empty_database_url,
):
    assert _inspect(empty_database_url) == (set(), set(), None)

    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    tables, views, revision = _inspect(empty_database_url)
    assert TABLES <= tables and VIEWS <= views
    assert revision == migrate.head_revision()

    migrate.downgrade(engine, "base")
    tables, views, _ = _inspect(empty_database_url)
    assert not (TABLES | VIEWS) & (tables | views)

    migrate.upgrade(engine)  # and back up: the downgrade left nothing behind that blocks it
    assert _inspect(empty_database_url)[2] == migrate.head_revision()
    engine.dispose()


def test_schema_matches_the_orm_classes(database_url):
    """The hand-written migrations and storage.schema describe the same tables."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from storage.schema import Base

    engine = make_engine(database_url)

    def created_on_this_database(item, name, type_, reflected, compare_to) -> bool:
        # Alembic ignores `ddl_if` (an index kept on Postgres only); compare what was created.
        condition = getattr(item, "_ddl_if", None)
        return condition is None or condition.dialect in (None, engine.dialect.name)

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": created_on_this_database}
        )
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_the_user_index_is_kept_on_postgres_only_and_comes_back_on_downgrade(database_url):
    """Forgetting a person reads reviews by (source, user_id). SQLite drops that index (its
    random pages cost 40% of every batch's write time; a forget VACUUMs the file anyway),
    Postgres keeps it; downgrading past 0011 restores it on SQLite."""
    engine = make_engine(database_url)

    def user_index() -> bool:
        indexes = sqlalchemy.inspect(engine).get_indexes("reviews")
        return any(index["column_names"] == ["source", "user_id"] for index in indexes)

    on_postgres = engine.dialect.name == "postgresql"
    assert user_index() is on_postgres
    migrate.downgrade(engine, "0010")
    assert user_index()
    migrate.upgrade(engine)
    assert user_index() is on_postgres
    engine.dispose()


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_open_store_migrates_an_embedded_sqlite_database(empty_database_url):
    open_store(empty_database_url).close()
    assert _inspect(empty_database_url)[2] == migrate.head_revision()


@pytest.mark.parametrize("empty_database_url", ["postgres"], indirect=True)
def test_open_store_refuses_an_unmigrated_server_database(empty_database_url):
    with pytest.raises(StoreNotMigrated, match="reviewbot db upgrade"):
        open_store(empty_database_url)


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_workers_starting_together_migrate_the_embedded_database_once(empty_database_url, tmp_path):
    """Workers released at the same instant on a new file, ten times over: their first
    connections (which switch the file to WAL) and the migration must not race ("database is
    locked", raised at once rather than after the busy timeout)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    urls = [empty_database_url] + [f"sqlite:///{tmp_path / f'h{n}.sqlite3'}" for n in range(9)]
    for url in urls:
        start = threading.Barrier(6)

        def start_worker(_, url=url, start=start):
            start.wait()
            store = open_store(url)
            store.close()
            return True

        with ThreadPoolExecutor(6) as pool:
            assert all(pool.map(start_worker, range(6)))
        assert _inspect(url)[2] == migrate.head_revision()


@pytest.mark.parametrize("empty_database_url", ["postgres"], indirect=True)
def test_open_store_refuses_a_database_migrated_by_newer_code(database_url):
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreNotMigrated, match="newer than this ReviewBot"):
        open_store(database_url)
