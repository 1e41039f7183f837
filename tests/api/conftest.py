"""Fixtures of the API tests: the real API in uvicorn on 127.0.0.1 (ephemeral port), a real
Redis, a real worker serving the tiny checkpoint, and a SQLite history both write to.

One stack per test module (loading the worker once), on a Redis database of its own; tests that
need another state (no worker, a full queue, keys required) start their own API server on
another database with `api_server(...)`.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from api.app import create_app
from api.server import BackgroundServer
from api.settings import ApiSettings
from frontend.client import ReviewClient
from model import ModelSettings
from reviewbot.messages import Review, Source
from reviewbot.settings import StreamSettings
from tests.api.helpers import SPARE_DB, STACK_DB, api_settings, until, with_db
from worker.runner import build_worker
from worker.settings import WorkerSettings


@dataclass
class Stack:
    url: str
    redis_url: str
    redis: redis.Redis
    store: object
    worker: object

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers=headers, timeout=180)


@contextmanager
def serving(app, settings: ApiSettings) -> Iterator[BackgroundServer]:
    # The access log on: the tests check that no API key reaches it.
    with BackgroundServer(app, settings, access_log=True) as server:
        yield server


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory):
    from storage import open_store

    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('history') / 'history.sqlite3'}")
    yield store
    store.close()


@pytest.fixture(scope="module")
def stack(redis_server_url: str, tiny_checkpoint: Path, history) -> Iterator[Stack]:
    """The API, a worker on the tiny checkpoint and a history database, up for the module."""
    import threading

    url = with_db(redis_server_url, STACK_DB)
    client = redis.Redis.from_url(url, decode_responses=True)
    client.flushdb()
    worker = build_worker(
        WorkerSettings(metrics_port=0, max_wait_ms=5, block_ms=100),
        ModelSettings(checkpoint=tiny_checkpoint, device="cpu", cpu_threads=1),
        url,
        history,
    )
    thread = threading.Thread(target=worker.run, name="api-test-worker")
    thread.start()
    settings = api_settings()
    try:
        warm_up(url)
        with serving(create_app(settings, redis_url=url, store=history), settings) as server:
            until(lambda: httpx.get(server.url + "/readyz").status_code == 200, "a ready API")
            yield Stack(server.url, url, client, history, worker)
    finally:
        worker.stop.set()
        thread.join(timeout=30)
        client.close()


def warm_up(redis_url: str) -> None:
    """One review through the worker before the API serves: its first batch loads the language
    detector, which holds the GIL for seconds, and the API shares this process in the tests (not
    in production), so its Redis reads would time out meanwhile."""
    client = ReviewClient(redis.Redis.from_url(redis_url, decode_responses=True))
    try:
        client.classify(Review(text="warm up", source=Source.API), timeout=120)
    finally:
        client.close()


@pytest.fixture
def spare_redis(redis_server_url: str) -> Iterator[tuple[str, redis.Redis]]:
    """An empty Redis database with no worker on it."""
    url = with_db(redis_server_url, SPARE_DB)
    client = redis.Redis.from_url(url, decode_responses=True)
    client.flushdb()
    yield url, client
    client.flushdb()
    client.close()


@pytest.fixture
def api_server(history) -> Callable:
    """`with api_server(redis_url, settings=..., stream_settings=...) as url:` another API."""

    @contextmanager
    def run(
        redis_url: str,
        settings: ApiSettings | None = None,
        stream_settings: StreamSettings | None = None,
        store=None,
    ) -> Iterator[str]:
        settings = settings or api_settings()
        app = create_app(
            settings,
            redis_url=redis_url,
            store=store or history,
            stream_settings=stream_settings,
        )
        with serving(app, settings) as server:
            yield server.url

    return run
