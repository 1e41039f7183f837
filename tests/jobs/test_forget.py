"""/forget erases a person's words everywhere ReviewBot keeps them: the history (and the SQLite
file's free pages and WAL), the result and done keys, undelivered reply entries and dead
letters. Real Redis, a real worker, a real SQLite file, RQ's SimpleWorker."""

import json
from pathlib import Path

import pytest
import redis
from rq import SimpleWorker

from jobs.queueing import enqueue_forget, jobs_queue
from jobs.settings import JobsSettings
from reviewbot.messages import Review, Source
from reviewbot.protocol import done_key, result_key
from storage import open_store
from tests.waiting import wait_until

REPLIES = "reviewbot:replies:telegram"


def file_bytes(database: Path) -> bytes:
    return b"".join(
        path.read_bytes() for path in (database, Path(f"{database}-wal")) if path.exists()
    )


@pytest.fixture
def served_history(redis_url, client, running_worker, tmp_path, monkeypatch):
    """Ana's and Bob's reviews, answered by a real worker into the history, result keys and a
    reply stream nobody has read yet; plus one of Ana's replies in the reply dead letters."""
    database = tmp_path / "history.db"
    url = f"sqlite:///{database}"
    monkeypatch.setenv("REVIEWBOT_DATABASE_URL", url)
    monkeypatch.setenv("REVIEWBOT_REDIS_URL", redis_url)
    ana = [
        Review(
            text=f"ANA-SECRET-{n} this film was fine",
            source=Source.TELEGRAM,
            user_id="ana",
            chat_id="1",
            reply_to=REPLIES,
        )
        for n in range(30)
    ]
    bob = [
        Review(
            text=f"BOB-KEEPS-{n} a film", source=Source.TELEGRAM, user_id="bob", reply_to=REPLIES
        )
        for n in range(5)
    ]
    store = open_store(url)
    with running_worker(store=store):
        for review in ana + bob:
            client.submit(review)
        wait_until(lambda: client.redis.xlen(REPLIES) == len(ana + bob), timeout=30.0)
    store.close()
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    [(first_id, first)] = r.xrange(REPLIES, count=1)
    r.xadd("reviewbot:replies:dead", {"review_id": first["review_id"], "entry": json.dumps(first)})
    assert b"ANA-SECRET-7" in file_bytes(database)
    return database, ana, bob, r


def test_forget_erases_the_person_from_redis_and_the_sqlite_file(redis_url, served_history):
    database, ana, bob, r = served_history
    queue = jobs_queue(redis.Redis.from_url(redis_url), JobsSettings())
    job = enqueue_forget(queue, "telegram", "ana")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    job.refresh()
    assert job.is_finished, job.latest_result().exc_string if job.latest_result() else job
    assert job.return_value() == len(ana)

    assert not any(r.exists(result_key(x.id), done_key(x.id)) for x in ana)
    assert all(r.exists(result_key(x.id)) for x in bob)
    left = [fields for _, fields in r.xrange(REPLIES)]
    assert {f["review_id"] for f in left} == {x.id for x in bob}
    assert r.xlen("reviewbot:replies:dead") == 0
    everything = json.dumps([r.xrange(key) for key in r.scan_iter(_type="stream")])
    assert "ANA-SECRET" not in everything and "BOB-KEEPS" in everything
    on_disk = file_bytes(database)
    assert b"ANA-SECRET" not in on_disk
    assert b"BOB-KEEPS-3" in on_disk
