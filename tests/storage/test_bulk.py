"""The bulk path (one statement per table; COPY + upsert on Postgres) stores what the ORM would."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, event, select, text

from reviewbot.messages import Label, Language, Source, Verdict
from storage.bulk import BulkTable
from storage.schema import PredictionRow, ReviewRow
from tests.storage.history import verdict


def raw_rows(store, table: str, ids: list[str]) -> dict[str, tuple]:
    """Rows as the driver returns them (SQLite: the stored date strings), by id."""
    key = "id" if table == "reviews" else "review_id"
    with store.session() as session:
        rows = session.execute(text(f"SELECT * FROM {table} ORDER BY {key}")).all()
    return {row._mapping[key]: tuple(row)[1:] for row in rows if row._mapping[key] in ids}


def test_bulk_rows_equal_rows_the_orm_writes(store):
    """Same values, one review written through the ORM and one through save_verdicts."""
    at = datetime(2026, 3, 1, 12, 30, 5, 123, tzinfo=UTC)
    bulk, orm = verdict(0.9, at=at, language=Language.ES), verdict(0.9, at=at, language=Language.ES)
    store.save_verdicts([bulk])
    with store.session() as session, session.begin():
        session.add(
            ReviewRow(
                id=orm.review.id,
                text=bulk.review.text,
                text_chars=len(bulk.review.text),
                source=bulk.review.source,
                chat_id=bulk.review.chat_id,
                user_id=bulk.review.user_id,
                message_id=bulk.review.message_id,
                language=Language.ES,
                error=None,
                received_at=at,
                classified_at=bulk.classified_at,
            )
        )
        session.flush()
        p = bulk.prediction
        session.add(
            PredictionRow(
                review_id=orm.review.id,
                model_version=p.model_version,
                p_positive=p.p_positive,
                threshold=p.threshold,
                label=p.label,
                n_tokens=p.n_tokens,
                truncated=p.truncated,
                served=True,
                latency_ms=bulk.latency_ms,
                batch_size=bulk.batch_size,
                created_at=bulk.classified_at,
            )
        )
    for table in ("reviews", "predictions"):
        rows = raw_rows(store, table, [bulk.review.id, orm.review.id])
        assert rows[bulk.review.id] == rows[orm.review.id]


def test_sqlite_rows_hold_only_values_its_driver_binds_without_an_adapter_lookup():
    """Python's sqlite3 looks for an adapter for every value that is not exactly a str, int,
    float, bytes or None (a StrEnum member, a bool): ~0.8 µs a value, on the writer's thread."""
    engine = create_engine("sqlite://")
    tables = {
        table.name: BulkTable(table, engine.dialect)
        for table in (ReviewRow.__table__, PredictionRow.__table__)
    }
    stored = verdict(0.9, language=Language.ES)
    p = stored.prediction
    review = {
        "id": stored.review.id,
        "text": stored.review.text,
        "text_chars": 5,
        "source": Source.DISCORD,
        "language": p.language,
        "received_at": stored.review.received_at,
    }
    prediction = {
        "review_id": stored.review.id,
        "model_version": p.model_version,
        "p_positive": p.p_positive,
        "label": p.label,
        "truncated": False,
        "served": True,
        "created_at": stored.classified_at,
    }
    for table, values in (("reviews", review), ("predictions", prediction)):
        (row,) = tables[table].rows([values])
        assert {type(value) for value in row} <= {str, int, float, type(None)}
    (row,) = tables["reviews"].rows([review])
    assert row[tables["reviews"].columns.index("source")] == "discord"
    (row,) = tables["predictions"].rows([prediction])
    served = tables["predictions"].columns.index("served")
    truncated = tables["predictions"].columns.index("truncated")
    assert (row[served], row[truncated]) == (1, 0)


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("verdicts", "inserts"), [(256, 4 + 4), (100, 3 + 3), (1, 1 + 1)])
def test_a_sqlite_batch_is_inserted_in_a_few_statements_not_one_per_row(store, verdicts, inserts):
    """Python's sqlite3 drops and retakes the GIL for every statement step, which an executemany
    takes per row; a batch goes in statements of 64, 32, ... rows (100 = 64 + 32 + 4)."""
    statements = []
    store.engine.dispose()  # the next connection is a new one, traced from its start
    event.listen(
        store.engine,
        "connect",
        lambda connection, _record: connection.set_trace_callback(statements.append),
    )
    batch = [verdict(0.9) for _ in range(verdicts)]
    store.save_verdicts(batch)
    store.save_verdicts(batch)  # a redelivery: nothing changes
    table_inserts = [
        s for s in statements if s.startswith(("INSERT INTO reviews", "INSERT INTO predictions"))
    ]
    assert len(table_inserts) == 2 * inserts
    with store.session() as session:
        reviews = session.scalar(text("SELECT count(*) FROM reviews"))
        predictions = session.scalar(text("SELECT count(*) FROM predictions"))
    assert (reviews, predictions) == (verdicts, verdicts)


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC),  # no microseconds
        datetime(2026, 3, 1, 14, 0, 0, 5, tzinfo=timezone(timedelta(hours=2))),  # not UTC
    ],
)
def test_times_come_back_as_the_same_instant_in_utc(store, at):
    stored = verdict(0.2, at=at)
    store.save_verdicts([stored])
    with store.session() as session:
        row = session.get(ReviewRow, stored.review.id)
        prediction = session.scalar(
            select(PredictionRow).where(PredictionRow.review_id == stored.review.id)
        )
    assert row.received_at == at and row.received_at.tzinfo == UTC
    assert row.source == Source.TELEGRAM and row.language == Language.EN
    assert prediction.label == Label.NEGATIVE and prediction.truncated is False
    assert prediction.created_at == stored.classified_at


def test_a_batch_twice_in_one_process_leaves_one_row_each(store):
    """The Postgres staging table empties at commit: the second batch does not re-insert the first."""
    first, second = [verdict(0.9) for _ in range(3)], [verdict(0.1) for _ in range(3)]
    store.save_verdicts(first)
    store.save_verdicts(second)
    store.save_verdicts(first + second)
    with store.session() as session:
        reviews = session.scalar(text("SELECT count(*) FROM reviews"))
        predictions = session.scalar(text("SELECT count(*) FROM predictions"))
    assert (reviews, predictions) == (6, 6)


@pytest.mark.parametrize("empty_database_url", ["postgres"], indirect=True)
def test_copy_errors_are_classified_like_sqlalchemys_own(database_url):
    """COPY runs on the driver's connection: its errors are wrapped as SQLAlchemy would wrap
    them, so a lost server reads as "unavailable" (the worker retries) and bad data does not."""
    from sqlalchemy import exc

    from storage import bulk
    from storage.engine import is_unavailable, make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection, connection.begin():
            connection.exec_driver_sql("CREATE TEMPORARY TABLE t_copy (n integer)")
            with pytest.raises(exc.DBAPIError) as bad:
                bulk._copy(connection, "COPY t_copy (n) FROM STDIN", [("not a number",)])
        assert not is_unavailable(bad.value)
        with engine.connect() as connection, connection.begin():
            connection.exec_driver_sql("CREATE TEMPORARY TABLE t_copy (n integer)")
            # binary: the client packs the value and refuses it itself, as bad data too
            with pytest.raises(exc.DataError) as bad:
                bulk._copy(connection, "COPY t_copy (n) FROM STDIN", [("x",)], types=[23])
        assert not is_unavailable(bad.value)

        with engine.connect() as connection:
            pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            with engine.connect() as admin:
                admin.exec_driver_sql(f"SELECT pg_terminate_backend({pid})")
                admin.commit()
            with pytest.raises(exc.DBAPIError) as lost:
                bulk._copy(connection, "COPY t_copy (n) FROM STDIN", [(1,)])
        assert is_unavailable(lost.value)
    finally:
        engine.dispose()


def test_a_batch_sharing_one_classification_time_keeps_every_rows_own_times(store):
    """Times are converted once per distinct value: rows sharing the batch's classification
    time, each with its own arrival time, in any spelling of UTC or another zone, all come
    back as their own instants."""
    classified = datetime(2026, 3, 1, 12, 0, 0, 777, tzinfo=UTC)
    arrivals = [
        datetime(2026, 3, 1, 11, 59, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 13, 59, 0, tzinfo=timezone(timedelta(hours=2))),  # = the first
        datetime(2026, 3, 1, 11, 59, 1, 5, tzinfo=UTC),
        # pydantic's own UTC tzinfo, as a review parsed from the stream carries it
        Verdict.model_validate_json(verdict(0.5).model_dump_json()).review.received_at,
    ]
    batch = [
        verdict(0.3, at=at).model_copy(update={"classified_at": classified}) for at in arrivals
    ]
    store.save_verdicts(batch)
    with store.session() as session:
        for sent in batch:
            row = session.get(ReviewRow, sent.review.id)
            prediction = session.scalar(
                select(PredictionRow).where(PredictionRow.review_id == sent.review.id)
            )
            assert row.received_at == sent.review.received_at
            assert row.classified_at == prediction.created_at == classified


@pytest.mark.parametrize("empty_database_url", ["postgres"], indirect=True)
def test_a_new_batch_is_copied_into_its_tables_and_a_redelivered_one_is_upserted(
    store, monkeypatch
):
    """Postgres: a batch of new reviews is COPYed straight into reviews and predictions; a batch
    that holds a stored review fails that COPY, leaves nothing of it, and is upserted from the
    staging table: the retried review takes its outcome, the classified one keeps its first
    answer, the new one is stored once."""
    from storage import bulk

    statements = []
    real_copy = bulk._copy

    def recording_copy(connection, statement, rows, types=None):
        statements.append(statement.split()[1])
        assert types is not None  # the columns' types were read: a binary COPY
        real_copy(connection, statement, rows, types)

    monkeypatch.setattr(bulk, "_copy", recording_copy)
    classified, failed = verdict(0.9), verdict(None, error="model failed")
    store.save_verdicts([classified, failed])
    assert statements == ["reviews", "predictions"]

    statements.clear()
    retried = Verdict(review=failed.review, prediction=verdict(0.2).prediction)
    again = Verdict(review=classified.review, prediction=verdict(0.1).prediction)
    new = verdict(0.3)
    store.save_verdicts([again, retried, new])
    stage = bulk.STAGE_PREFIX
    assert statements == ["reviews", stage + "reviews", "predictions", stage + "predictions"]

    with store.session() as session:
        reviews = dict(session.execute(select(ReviewRow.id, ReviewRow.error)).all())
        p = dict(session.execute(select(PredictionRow.review_id, PredictionRow.p_positive)).all())
    ids = [v.review.id for v in (classified, failed, new)]
    assert reviews == dict.fromkeys(ids)
    assert p == dict(zip(ids, [0.9, 0.2, 0.3], strict=True))


@pytest.mark.parametrize("empty_database_url", ["postgres"], indirect=True)
def test_a_column_type_changed_under_a_running_store_fails_one_batch_then_is_read_again(store):
    """Binary COPY sends each value in the column type read at the first batch. A migration
    that changes a type while the store runs fails the next batch as a protocol error, which
    reads as "unavailable" (the worker holds its acks and retries), and makes the store read
    the types again, so the retry is stored."""
    from storage import StoreUnavailable

    store.save_verdicts([verdict(0.9)])
    with store.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE predictions ALTER COLUMN n_tokens TYPE bigint")
    retried = verdict(0.8)
    with pytest.raises(StoreUnavailable):
        store.save_verdicts([retried])
    store.save_verdicts([retried])
    with store.session() as session:
        assert session.get(ReviewRow, retried.review.id) is not None
