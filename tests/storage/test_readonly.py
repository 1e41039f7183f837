"""`reviewbot sql` runs reads and the database refuses everything else, however it is phrased."""

import pytest

from storage.readonly import QueryError, QueryRefused, run_readonly
from tests.storage.history import verdict

WRITES = [
    "DELETE FROM reviews",
    "UPDATE reviews SET text = 'x'",
    "INSERT INTO model_versions (version, registered_at) VALUES ('x', CURRENT_TIMESTAMP)",
    "DROP TABLE feedback",
    "CREATE TABLE stolen (a INTEGER)",
    "SELECT 1; DELETE FROM reviews",
    "COMMIT; DELETE FROM reviews",
    "  delete /* hidden */ from reviews",
]


@pytest.fixture
def history(store):
    store.save_verdicts([verdict(0.9), verdict(0.2)])
    return store


@pytest.mark.parametrize("query", WRITES)
def test_writes_are_refused_and_change_nothing(history, query):
    with pytest.raises(QueryRefused):
        run_readonly(history.url, query)
    assert run_readonly(history.url, "SELECT COUNT(*) FROM reviews").rows == [(2,)]
    assert {"feedback"} <= set(_tables(history))


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_sqlite_cannot_be_talked_out_of_read_only(store):
    for query in ("PRAGMA query_only = OFF", "ATTACH DATABASE ':memory:' AS other"):
        with pytest.raises(QueryRefused):
            run_readonly(store.url, query)


def test_a_query_returns_columns_and_rows(history):
    result = run_readonly(
        history.url, "SELECT label, COUNT(*) AS n FROM predictions GROUP BY label ORDER BY label"
    )
    assert result.columns == ["label", "n"]
    assert result.rows == [("negative", 1), ("positive", 1)]
    assert len(run_readonly(history.url, "SELECT * FROM reviews", max_rows=1).rows) == 1


def test_bad_sql_and_runaway_queries_get_the_database_message(store):
    with pytest.raises(QueryError, match="nosuch"):
        run_readonly(store.url, "SELECT * FROM nosuch")
    endless = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n"
    )
    with pytest.raises(QueryError, match="timeout|longer than"):
        run_readonly(store.url, endless, timeout_s=0.3)


def _tables(store) -> list[str]:
    import sqlalchemy

    return sqlalchemy.inspect(store.engine).get_table_names()
