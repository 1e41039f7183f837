"""The shared reply-stream consumer against a real Redis: each verdict is handed to the
front-end once, refusals and poison entries end in the dead-letter stream, failures are retried,
and a front-end killed mid-handling loses nothing and answers once after its restart."""

import asyncio
import subprocess
import sys
import time

import redis
import redis.asyncio as aioredis

from frontend.client import ReviewClient
from frontend.replies import ReplyConsumer, ReplyRefused, sent_key
from frontend.settings import FrontendSettings
from reviewbot.messages import Prediction, Review, Source, Verdict
from reviewbot.protocol import REPLY_ID_FIELD, REPLY_VERDICT_FIELD

STREAM = "reviewbot:replies:test"
FAST = FrontendSettings(reply_block_ms=50, reply_claim_idle_ms=200, reply_max_deliveries=2)


def verdict(text: str) -> Verdict:
    prediction = Prediction(
        label="positive",
        p_positive=0.9,
        threshold=0.5,
        language="en",
        n_tokens=4,
        truncated=False,
        model_version="test",
    )
    return Verdict(review=Review(text=text, source=Source.TELEGRAM), prediction=prediction)


def add_reply(client: redis.Redis, v: Verdict) -> None:
    client.xadd(STREAM, {REPLY_ID_FIELD: v.review.id, REPLY_VERDICT_FIELD: v.model_dump_json()})


def consumer_for(redis_url: str, handler) -> ReplyConsumer:
    return ReplyConsumer(
        aioredis.Redis.from_url(redis_url, decode_responses=True),
        STREAM,
        "bot",
        handler,
        settings=FAST,
    )


async def consume_until(consumer: ReplyConsumer, done, timeout: float = 10.0) -> None:
    await consumer.ensure_group()
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "the consumer did not finish in time"
        await consumer.step()


async def test_each_verdict_is_handled_once_then_acked_and_deleted(redis_url):
    sync = redis.Redis.from_url(redis_url, decode_responses=True)
    verdicts = [verdict(f"review {n}") for n in range(20)]
    for v in verdicts:
        add_reply(sync, v)
    seen: list[str] = []

    async def handler(v: Verdict) -> None:
        seen.append(v.review.id)

    consumer = consumer_for(redis_url, handler)
    await consume_until(consumer, lambda: len(seen) == 20)
    await consumer.step()  # nothing more arrives
    assert sorted(seen) == sorted(v.review.id for v in verdicts)
    assert sync.xlen(STREAM) == 0
    assert sync.xpending(STREAM, "bot")["pending"] == 0
    await consumer.redis.aclose()


async def test_a_failing_send_is_retried_and_a_refusal_is_dead_lettered(redis_url):
    sync = redis.Redis.from_url(redis_url, decode_responses=True)
    flaky, blocked = verdict("flaky"), verdict("blocked")
    add_reply(sync, flaky)
    add_reply(sync, blocked)
    sync.xadd(STREAM, {"junk": "not a verdict"})
    attempts: dict[str, int] = {}
    delivered: list[str] = []

    async def handler(v: Verdict) -> None:
        attempts[v.review.text] = attempts.get(v.review.text, 0) + 1
        if v.review.text == "blocked":
            raise ReplyRefused("Forbidden: bot was blocked by the user")
        if attempts["flaky"] == 1:
            raise ConnectionError("platform hiccup")
        delivered.append(v.review.id)

    consumer = consumer_for(redis_url, handler)
    await consume_until(consumer, lambda: delivered == [flaky.review.id])
    assert attempts == {"flaky": 2, "blocked": 1}
    dead = {f["error"].split(":")[0]: f for _, f in sync.xrange(FAST.reply_dead_letter_stream)}
    assert set(dead) == {"refused", "not a verdict"}
    assert dead["refused"]["review_id"] == blocked.review.id
    assert sync.xlen(STREAM) == 0
    await consumer.redis.aclose()


async def test_a_reply_failing_every_time_ends_in_the_dead_letter_stream(redis_url):
    sync = redis.Redis.from_url(redis_url, decode_responses=True)
    add_reply(sync, verdict("never"))
    attempts = []

    async def handler(v: Verdict) -> None:
        attempts.append(v.review.id)
        raise TimeoutError("platform down")

    consumer = consumer_for(redis_url, handler)
    await consume_until(consumer, lambda: sync.xlen(FAST.reply_dead_letter_stream) == 1)
    assert len(attempts) == FAST.reply_max_deliveries
    ((_, fields),) = sync.xrange(FAST.reply_dead_letter_stream)
    assert fields["error"] == "not delivered after 2 attempts"
    await consumer.redis.aclose()


async def test_a_reply_already_sent_is_only_acked(redis_url):
    sync = redis.Redis.from_url(redis_url, decode_responses=True)
    v = verdict("sent before the crash")
    sync.set(sent_key("bot", v.review.id), "1")
    add_reply(sync, v)
    seen = []

    async def handler(v: Verdict) -> None:
        seen.append(v)

    consumer = consumer_for(redis_url, handler)
    await consume_until(consumer, lambda: sync.xlen(STREAM) == 0)
    assert seen == []
    await consumer.redis.aclose()


async def test_a_reply_still_being_sent_is_not_handed_over_again(redis_url):
    """A send that outlasts the claim time, while the consumer's next rounds reclaim its entry
    and re-read its own pending ones (what a restarted run does), is handled once."""
    sync = redis.Redis.from_url(redis_url, decode_responses=True)
    add_reply(sync, verdict("slow to send"))
    release = asyncio.Event()
    calls = []

    async def handler(v: Verdict) -> None:
        calls.append(v.review.id)
        await release.wait()

    consumer = consumer_for(redis_url, handler)
    await consumer.ensure_group()
    first = asyncio.create_task(consumer.step())
    while not calls:
        await asyncio.sleep(0.01)
    await asyncio.sleep(FAST.reply_claim_idle_ms / 1000 + 0.1)
    await consumer.step()  # XAUTOCLAIM hands the idle entry back: skipped
    consumer._own_pending_done = False  # as after a restart of run
    await consumer.step()
    release.set()
    await first
    assert len(calls) == 1
    assert sync.xlen(STREAM) == 0
    await consumer.redis.aclose()


def test_a_front_end_killed_mid_handling_answers_everything_once(redis_url, tmp_path):
    sync = redis.Redis.from_url(redis_url, decode_responses=True)
    verdicts = [verdict(f"review {n}") for n in range(10)]
    verdicts.insert(4, verdict("crash"))
    for v in verdicts:
        add_reply(sync, v)
    delivered, flag = tmp_path / "delivered", tmp_path / "crashed"
    command = [sys.executable, "-m", "tests.frontend.reply_process", redis_url, STREAM]
    first = subprocess.Popen([*command, str(delivered), str(flag)])
    assert first.wait(timeout=60) == -9, "the first front-end should have been killed"
    assert flag.exists()
    second = subprocess.Popen([*command, str(delivered), str(flag)])
    try:
        deadline = time.monotonic() + 60
        while len(delivered.read_text().split()) < len(verdicts) if delivered.exists() else True:
            assert time.monotonic() < deadline, "not every reply was delivered after the restart"
            assert second.poll() is None
            time.sleep(0.05)
        time.sleep(0.5)  # anything delivered twice would show up by now
    finally:
        second.terminate()
        second.wait(timeout=30)
    ids = delivered.read_text().split()
    assert sorted(ids) == sorted(v.review.id for v in verdicts)
    assert sync.xpending(STREAM, "frontend")["pending"] == 0


async def test_verdicts_of_a_running_worker_reach_the_front_end(redis_url, running_worker):
    client = ReviewClient(redis.Redis.from_url(redis_url, decode_responses=True))
    seen: list[Verdict] = []

    async def handler(v: Verdict) -> None:
        seen.append(v)

    consumer = consumer_for(redis_url, handler)
    with running_worker():
        ids = {
            client.submit(Review(text=f"great film {n}", source=Source.API, reply_to=STREAM))
            for n in range(5)
        }
        await consume_until(consumer, lambda: len(seen) == 5, timeout=60)
    assert {v.review.id for v in seen} == ids
    assert all(v.ok for v in seen)
    client.close()
    await consumer.redis.aclose()
