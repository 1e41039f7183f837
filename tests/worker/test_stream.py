"""ReviewStream's Redis commands against a real Redis, without a worker."""

import time

import pytest

from reviewbot.connection import connect_worker
from reviewbot.messages import Review, Source, Verdict
from reviewbot.protocol import RATE_KEY, review_fields
from worker.batching import Collector
from worker.leases import Leases
from worker.settings import WorkerSettings
from worker.stream import Finish, ReviewStream


@pytest.fixture
def stream(redis_url):
    settings = WorkerSettings(claim_idle_ms=100)
    stream = ReviewStream(connect_worker(redis_url), settings, "me")
    stream.join()
    yield stream
    stream.redis.close()


def add(stream: ReviewStream, n: int) -> list[str]:
    return [
        stream.redis.xadd(
            stream.settings.stream, review_fields(Review(text=f"film {i}", source=Source.API))
        )
        for i in range(n)
    ]


def deliver(stream: ReviewStream, consumer: str, count: int) -> list[str]:
    [(_, messages)] = stream.redis.xreadgroup(
        stream.settings.group, consumer, {stream.settings.stream: ">"}, count=count
    )
    return [entry_id for entry_id, _ in messages]


def test_reclaimed_entries_get_their_own_delivery_count(stream):
    """This consumer's own in-flight entries lie between two entries a dead consumer left: a
    pending-range lookup would fill up with them and miss the second one's count."""
    add(stream, 40)
    [first] = deliver(stream, "dead", 1)
    mine = deliver(stream, "me", 38)
    [last] = deliver(stream, "dead", 1)
    for n in range(2):  # two more workers took `last` and died
        stream.redis.xclaim(stream.settings.stream, stream.settings.group, f"dead{n}", 0, [last])
    time.sleep(0.2)
    stream.keep(mine)  # still being worked on
    claimed = {entry.entry_id: entry.deliveries for entry in stream.reclaim(10)}
    assert claimed == {first: 2, last: 4}


def test_reclaim_goes_on_where_the_last_call_stopped(stream):
    """Each XAUTOCLAIM scans a limited stretch of the pending list; restarting at 0-0 every
    time would never reach a dead consumer's entries behind many live ones."""
    add(stream, 60)
    mine = deliver(stream, "me", 59)
    [stranded] = deliver(stream, "dead", 1)
    time.sleep(0.2)
    claimed = []
    for _ in range(10):
        stream.keep(mine)
        claimed += [entry.entry_id for entry in stream.reclaim(1)]
    assert claimed == [stranded]


def test_a_worker_whose_lease_thread_stalls_does_not_reclaim_its_own_entries(stream):
    """The lease thread never runs here (as when a C extension holds the GIL for seconds):
    the collector renews the worker's held entries before it reclaims, so it takes back only
    what a dead consumer left, and its own entries stay delivered once."""
    # 500 ms, not the fixture's 100: a busy machine may pause this thread between the renewal
    # and the reclaim, and that pause must stay far below the idle limit.
    stream.settings = WorkerSettings(claim_idle_ms=500)
    add(stream, 4)
    mine = deliver(stream, "me", 3)
    [stranded] = deliver(stream, "dead", 1)
    leases = Leases(stream)  # not started: stalled
    leases.hold(mine)
    time.sleep(1.0)  # twice claim_idle_ms
    collected = Collector(stream, stream.settings, leases).collect()
    assert [entry.entry_id for entry in collected] == [stranded]
    pending = stream.redis.xpending_range(
        stream.settings.stream, stream.settings.group, "-", "+", 9
    )
    assert {p["message_id"]: p["times_delivered"] for p in pending} == {
        **dict.fromkeys(mine, 1),
        stranded: 2,
    }


def test_the_dead_letter_stream_is_capped(redis_url):
    settings = WorkerSettings(dead_letter_maxlen=10)
    stream = ReviewStream(connect_worker(redis_url), settings, "me")
    stream.join()
    for n in range(250):
        stream.redis.xadd(settings.stream, {"not": f"a review {n}"})
    entries = stream.read(250, None)
    assert len(stream.finish([Finish(entry, dead_error=entry.problem) for entry in entries])) == 250
    # MAXLEN ~ trims whole stream nodes (100 entries each by default), never below the cap.
    assert 10 <= stream.redis.xlen(settings.dead_letter_stream) <= 10 + 100
    stream.redis.close()


def test_leaving_removes_the_consumers_rate(stream):
    stream.redis.hset(RATE_KEY, mapping={"me": "3.0 1700000000", "other": "1.0 1700000000"})
    stream.leave()
    assert stream.redis.hgetall(RATE_KEY) == {"other": "1.0 1700000000"}


def test_finish_returns_only_what_it_answered(stream):
    """Counted as answered: neither an entry another worker finished already, nor a second
    entry of a review already answered."""
    review = Review(text="one film", source=Source.API)
    for _ in range(2):
        stream.redis.xadd(stream.settings.stream, review_fields(review))
    first, second = stream.read(2, None)
    verdict = Verdict(review=review, error="refused")
    finishes = [Finish(first, verdict), Finish(second, verdict)]
    assert stream.finish(finishes) == finishes[:1]
    assert stream.finish(finishes) == []  # acked already (by another worker, say)
