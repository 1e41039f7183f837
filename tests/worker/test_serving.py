"""Under load batches really grow; /healthz and /metrics report the worker; a process pool
shares the stream under unique consumer names."""

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import redis

from frontend.client import ReviewClient
from reviewbot.messages import Language, Review, Source
from tests.ports import free_port
from tests.waiting import running, wait_until
from worker import metrics


def test_batches_exceed_one_under_load(redis_url, worker_settings, running_worker):
    submitted: list[str] = []

    def submit_many(n: int) -> None:
        client = ReviewClient(
            redis.Redis.from_url(redis_url, decode_responses=True), worker_settings
        )
        for i in range(n):
            submitted.append(
                client.submit(Review(text=f"film {i} " + "good " * (i % 30), source=Source.API))
            )

    with running_worker():
        threads = [threading.Thread(target=submit_many, args=(150,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        client = ReviewClient(
            redis.Redis.from_url(redis_url, decode_responses=True), worker_settings
        )
        verdicts = [client.wait_result(review_id, timeout=30) for review_id in submitted]
    sizes = [verdict.batch_size for verdict in verdicts]
    assert len(verdicts) == 600 and all(verdict.ok for verdict in verdicts)
    assert max(sizes) > 1
    assert sum(sizes) / len(sizes) > 2  # most reviews shared a forward pass


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_healthz_and_metrics(redis_url, client, running_worker):
    with running_worker() as worker:
        metrics.watch_stream(worker.stream.depth, worker.stream.pending)
        server = metrics.serve("127.0.0.1", 0, worker.health)
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            review_id = client.submit(Review(text="a lovely film", source=Source.API))
            client.wait_result(review_id, timeout=20)
            # The finish script answers the client before the worker counts the answer, so a
            # busy machine can show the result while /healthz still says 0.
            wait_until(lambda: json.loads(get(base + "/healthz")[1])["answered"] >= 1)
            status, body = get(base + "/healthz")
            assert status == 200
            health = json.loads(body)
            assert health["ok"] and health["model_version"] == worker.classifier.version
            assert health["answered"] >= 1

            status, text = get(base + "/metrics")
            assert status == 200
            for name in (
                "reviewbot_queue_depth",
                "reviewbot_pending",
                "reviewbot_batch_size_bucket",
                "reviewbot_batch_tokens_bucket",
                "reviewbot_classify_seconds_bucket",
                "reviewbot_end_to_end_seconds_bucket",
                "reviewbot_dead_letters_total",
            ):
                assert name in text, name
            assert f'version="{worker.classifier.version}"' in text

            worker.stop.set()
            time.sleep(0.3)
            assert get(base + "/healthz")[0] == 503  # stopping: take it out of rotation
            assert get(base + "/nope")[0] == 404
        finally:
            server.shutdown()


def test_process_pool_serves_with_unique_consumers(redis_url, worker_process_env):
    # Each child with a language process and a metrics endpoint, as on a GPU host. The
    # endpoint's server kept the classifier alive, so nothing shut its language process down
    # and the child waited for it for ever on its way out (multiprocessing joins its children
    # before the exit hooks of concurrent.futures run).
    env = worker_process_env(
        REVIEWBOT_MODEL_LANGUAGE_PROCESSES="1", REVIEWBOT_WORKER_METRICS_PORT=str(free_port())
    )
    pool = subprocess.Popen(
        [sys.executable, "-m", "worker", "worker", "--processes", "2", "--no-store"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    client = ReviewClient(r)
    try:
        deadline = time.monotonic() + 90
        while len(consumers := _consumers(r)) < 2:
            assert pool.poll() is None and time.monotonic() < deadline, "the pool did not start"
            time.sleep(0.1)
        assert len(set(consumers)) == 2
        ids = [client.submit(Review(text=f"review {n}", source=Source.API)) for n in range(100)]
        assert all(client.wait_result(review_id, timeout=30).ok for review_id in ids)
    finally:
        pool.send_signal(signal.SIGTERM)
        code = pool.wait(60)
    assert code == 0
    assert _consumers(r) == []  # both children finished, acked and left the group


def _consumers(r) -> list[str]:
    try:
        return [c["name"] for c in r.xinfo_consumers("reviewbot:reviews", "workers")]
    except redis.ResponseError:
        return []


def test_a_worker_with_language_processes_answers_and_takes_them_along_when_it_stops(
    redis_url, worker_process_env
):
    # lingua in a process of its own (model/language_processes.py), as on a GPU host.
    env = worker_process_env(REVIEWBOT_MODEL_LANGUAGE_PROCESSES="1")
    worker = subprocess.Popen(
        [sys.executable, "-m", "worker", "worker", "--processes", "1", "--no-store"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = ReviewClient(redis.Redis.from_url(redis_url))
    reviews = {
        "Un film magnifique, les acteurs sont formidables.": Language.OTHER,  # lingua's
        "Отличный фильм, всем советую": Language.OTHER,
        "The plot is thin but the performances are charming": Language.EN,
        "Una película maravillosa, la recomiendo a todos.": Language.ES,
    }
    try:
        ids = {client.submit(Review(text=text, source=Source.API)): text for text in reviews}
        for review_id, text in ids.items():
            verdict = client.wait_result(review_id, timeout=90)
            assert verdict.ok and verdict.prediction.language == reviews[text]
        helpers = _children(worker.pid)
        assert helpers, "no language process started"
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(60)
    assert code == 0
    wait_until(lambda: not any(running(pid) for pid in helpers), timeout=30)


def _children(pid: int) -> list[int]:
    """Processes started by any thread of `pid` (Linux)."""
    tasks = Path(f"/proc/{pid}/task").iterdir()
    return [int(child) for task in tasks for child in (task / "children").read_text().split()]
