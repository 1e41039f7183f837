"""The database goes away for a while: the worker holds its acks, keeps its leases, and
answers everything exactly once when the database is back."""

import logging
import sqlite3
import time
import uuid
from collections import Counter
from contextlib import contextmanager

import pytest
import redis
import sqlalchemy

from reviewbot.messages import Review, Source
from storage import migrate, open_store
from storage.engine import make_engine
from tests.conftest import postgres_schema_url
from tests.waiting import wait_until
from worker import metrics


def test_database_outage_holds_acks_then_recovers(
    redis_url, client, running_worker, tmp_path, monkeypatch
):
    monkeypatch.setenv("REVIEWBOT_STORAGE_SQLITE_BUSY_TIMEOUT_S", "0.1")
    path = tmp_path / "history.db"
    store = open_store(f"sqlite:///{path}")
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    retries_before = metrics.STORE_RETRIES._value.get()

    # Another process holding the write lock: every write of the worker fails as "locked".
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    reviews = [
        Review(text=f"held review {n}", source=Source.API, reply_to="replies") for n in range(5)
    ]
    with running_worker(store=store) as worker:
        ids = [client.submit(review) for review in reviews]
        wait_until(lambda: metrics.STORE_RETRIES._value.get() >= retries_before + 2)
        # Longer than claim_idle_ms (600 ms): without leases the entries would be reclaimed.
        time.sleep(1.5)
        assert r.xlen("replies") == 0
        assert client.result(ids[0]) is None
        pending = r.xpending_range(client.settings.stream, client.settings.group, "-", "+", 10)
        assert len(pending) == len(reviews)
        assert {p["times_delivered"] for p in pending} == {1}  # held, never redelivered

        blocker.execute("ROLLBACK")
        blocker.close()
        verdicts = [client.wait_result(review_id, timeout=20) for review_id in ids]
        wait_until(lambda: worker.answered == len(reviews))  # counted just after answering

    assert all(verdict.ok for verdict in verdicts)
    assert Counter(f["review_id"] for _, f in r.xrange("replies")) == Counter(ids)
    stored = {
        review.id for review in store.reviews_since(reviews[0].received_at.replace(year=2000))
    }
    assert stored == set(ids)
    store.close()


# -- a database that refuses writes -----------------------------------------------------------


@contextmanager
def worker_role(postgres_url):
    """A schema migrated by the admin and a login role of its own for the worker, with every
    right on the schema's tables; yields (admin engine, schema, role, the role's URL)."""
    schema, role = f"t_{uuid.uuid4().hex[:12]}", f"rb_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
        c.execute(sqlalchemy.text(f"CREATE ROLE {role} LOGIN"))
    engine = make_engine(postgres_schema_url(postgres_url, schema))
    migrate.upgrade(engine)
    engine.dispose()
    with admin.connect() as c:
        c.execute(sqlalchemy.text(f"GRANT USAGE ON SCHEMA {schema} TO {role}"))
        c.execute(sqlalchemy.text(f"GRANT ALL ON ALL TABLES IN SCHEMA {schema} TO {role}"))
    url = sqlalchemy.engine.make_url(postgres_url).set(username=role)
    role_url = postgres_schema_url(url.render_as_string(hide_password=False), schema)
    try:
        yield admin, schema, role, role_url
    finally:
        with admin.connect() as c:
            c.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
            c.execute(sqlalchemy.text(f"DROP OWNED BY {role}"))
            c.execute(sqlalchemy.text(f"DROP ROLE {role}"))
        admin.dispose()


def sql(admin, statement: str) -> None:
    with admin.connect() as c:
        c.execute(sqlalchemy.text(statement))


REFUSALS = {
    # (refuse, allow again)
    "permission denied": (
        "REVOKE INSERT, UPDATE ON ALL TABLES IN SCHEMA {schema} FROM {role}",
        "GRANT INSERT, UPDATE ON ALL TABLES IN SCHEMA {schema} TO {role}",
    ),
    # What a failover to a standby looks like from the worker: every transaction read-only.
    "read-only": (
        "ALTER ROLE {role} SET default_transaction_read_only = on",
        "ALTER ROLE {role} RESET default_transaction_read_only",
    ),
    "schema missing": (
        "ALTER TABLE {schema}.reviews RENAME TO reviews_away",
        "ALTER TABLE {schema}.reviews_away RENAME TO reviews",
    ),
}
SAID = {
    "permission denied": "permission denied",
    "read-only": "read-only",
    "schema missing": "a table is missing",
}


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
def test_a_database_refusing_every_write_is_an_outage_not_an_error_per_review(
    postgres_url, redis_url, client, running_worker, caplog, refusal
):
    refuse, allow = REFUSALS[refusal]
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    with worker_role(postgres_url) as (admin, schema, role, role_url):
        sql(admin, refuse.format(schema=schema, role=role))
        store = open_store(role_url)
        retries_before = metrics.STORE_RETRIES._value.get()
        reviews = [
            Review(text=f"refused review {n}", source=Source.API, reply_to="replies")
            for n in range(5)
        ]
        with caplog.at_level(logging.WARNING, logger="worker"), running_worker(store=store) as w:
            ids = [client.submit(review) for review in reviews]
            wait_until(lambda: metrics.STORE_RETRIES._value.get() >= retries_before + 2)
            assert metrics.DEPENDENCY_DOWN.labels("database")._value.get() == 1
            time.sleep(1.5)  # past claim_idle_ms and max_deliveries: nothing may be redelivered
            assert r.xlen("replies") == 0 and r.xlen(client.settings.dead_letter_stream) == 0
            pending = r.xpending_range(client.settings.stream, client.settings.group, "-", "+", 9)
            assert {p["times_delivered"] for p in pending} == {1} and len(pending) == 5

            sql(admin, allow.format(schema=schema, role=role))
            verdicts = [client.wait_result(review_id, timeout=20) for review_id in ids]
            wait_until(lambda: w.answered == len(reviews))
        assert metrics.DEPENDENCY_DOWN.labels("database")._value.get() == 0
        assert all(verdict.ok for verdict in verdicts)
        assert Counter(f["review_id"] for _, f in r.xrange("replies")) == Counter(ids)
        since = reviews[0].received_at.replace(year=2000)
        assert {review.id for review in store.reviews_since(since)} == set(ids)
        store.close()
    down = [
        rec
        for rec in caplog.records
        if "database" in rec.getMessage() and "down" in rec.getMessage()
    ]
    assert down and down[0].levelno == logging.ERROR
    assert SAID[refusal] in down[0].getMessage()


def test_a_review_the_database_rejects_is_answered_with_the_databases_reason(
    postgres_url, redis_url, client, worker_settings, running_worker
):
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    with worker_role(postgres_url) as (admin, schema, role, role_url):
        sql(
            admin,
            f"ALTER TABLE {schema}.reviews ADD CONSTRAINT no_cats CHECK (text NOT LIKE '%cats%')",
        )
        store = open_store(role_url)
        fine = Review(text="a film about dogs", source=Source.API, reply_to="replies")
        cats = Review(text="a film about cats", source=Source.API, reply_to="replies")
        with running_worker(store=store):
            client.submit(fine)
            client.submit(cats)
            wait_until(lambda: r.xlen(worker_settings.dead_letter_stream) == 1)
            wait_until(lambda: r.xlen("replies") == 2)
        replies = {f["review_id"]: f["verdict"] for _, f in r.xrange("replies")}
        [(_, dead)] = r.xrange(worker_settings.dead_letter_stream)
        store.close()
    assert '"prediction":{' in replies[fine.id]
    assert dead["review_id"] == cats.id
    for said in (dead["error"], replies[cats.id]):
        assert "could not be stored" in said and "no_cats" in said
        assert "stopped each time" not in said
