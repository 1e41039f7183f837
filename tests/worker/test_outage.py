"""The database goes away for a while: the worker holds its acks, keeps its leases, and
answers everything exactly once when the database is back."""

import sqlite3
import time
from collections import Counter

import redis

from reviewbot.messages import Review, Source
from storage import open_store
from worker import metrics


def wait_until(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


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
