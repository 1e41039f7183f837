"""Real worker processes: SIGKILL mid-batch loses nothing, SIGTERM finishes the batch and exits."""

import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
import redis

from reviewbot.messages import Review, Source
from reviewbot.protocol import review_fields

STREAM, GROUP, REPLIES = "reviewbot:reviews", "workers", "replies:crash-test"


def start_worker(worker_process_env, tmp_path, name, **env):
    environment = worker_process_env(
        REVIEWBOT_WORKER_CLAIM_IDLE_MS="1000", REVIEWBOT_WORKER_BLOCK_MS="100", **env
    )
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "worker", "worker", "--no-store"],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_until(condition, timeout=60.0, process=None):
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            pytest.fail(f"worker exited early with {process.returncode}")
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def enqueue(r, count):
    reviews = [
        Review(
            text=f"review number {n}: " + "a moving story, wonderful acting " * (1 + n % 5),
            source=Source.API,
            reply_to=REPLIES,
        )
        for n in range(count)
    ]
    pipe = r.pipeline()
    for review in reviews:
        pipe.xadd(STREAM, review_fields(review))
    pipe.execute()
    return reviews


def answered(r):
    return Counter(fields["review_id"] for _, fields in r.xrange(REPLIES))


def test_sigkill_mid_batch_loses_nothing_and_answers_once(redis_url, worker_process_env, tmp_path):
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    reviews = enqueue(r, 600)
    # Small batches so the first worker is surely in the middle of the work when it dies.
    first = start_worker(
        worker_process_env, tmp_path, "first", REVIEWBOT_WORKER_READ_MAX_REVIEWS="8"
    )
    wait_until(lambda: r.xlen(REPLIES) >= 16, process=first)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_by_first = r.xlen(REPLIES)
    stranded = r.xpending(STREAM, GROUP)["pending"]
    assert done_by_first < len(reviews)
    assert stranded > 0, "the killed worker held no batch"

    second = start_worker(worker_process_env, tmp_path, "second")
    try:
        wait_until(lambda: r.xlen(REPLIES) >= len(reviews), process=second)
        time.sleep(0.5)  # anything answered twice would show up now
    finally:
        second.terminate()
        second.wait(30)
    counts = answered(r)
    assert set(counts) == {review.id for review in reviews}
    assert max(counts.values()) == 1
    assert r.xlen(STREAM) == 0
    assert r.xpending(STREAM, GROUP)["pending"] == 0


def test_sigterm_finishes_the_batch_and_exits(redis_url, worker_process_env, tmp_path):
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    worker = start_worker(
        worker_process_env, tmp_path, "graceful", REVIEWBOT_WORKER_READ_MAX_REVIEWS="32"
    )
    wait_until(lambda: r.exists(STREAM) and r.xinfo_groups(STREAM), process=worker)
    enqueue(r, 300)
    wait_until(lambda: r.xlen(REPLIES) > 0, process=worker)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(30) == 0
    # Whatever it had taken it finished and acked; the rest waits, untouched, for the next worker.
    assert r.xpending(STREAM, GROUP)["pending"] == 0
    assert r.xlen(REPLIES) + r.xlen(STREAM) == 300
    assert r.xinfo_consumers(STREAM, GROUP) == []  # it left the group
