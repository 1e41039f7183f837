"""Helpers of the API tests: Redis databases of their own, settings, a stuck worker's heartbeat."""

import time
from collections.abc import Callable
from urllib.parse import parse_qsl, urlencode

import redis

from api.settings import ApiSettings
from reviewbot.protocol import RATE_KEY

#: Redis databases of the API tests (the shared fixtures flush database 0 between tests).
STACK_DB = 3
SPARE_DB = 4


def with_db(url: str, db: int) -> str:
    """`url` pointing at Redis database `db`."""
    base, _, query = url.partition("?")
    options = dict(parse_qsl(query))
    options["db"] = str(db)
    if not base.startswith("unix:"):
        base = base.split("://", 1)[0] + "://" + base.split("://", 1)[1].split("/", 1)[0]
    return f"{base}?{urlencode(options)}"


def api_settings(**values) -> ApiSettings:
    """Small limits to test them; long waits and a wide heartbeat window, so that a loaded
    2-core CI box (a worker starved for seconds) changes no answer."""
    defaults = {
        "host": "127.0.0.1",
        "port": 0,
        "batch_max_texts": 16,
        "max_body_bytes": 65_536,
        "default_wait_s": 60,
        "max_wait_s": 120,
        "worker_fresh_s": 30,
    }
    return ApiSettings(**(defaults | values))


def beat(client: redis.Redis, consumer: str = "stuck-worker") -> None:
    """The heartbeat of a worker that is alive but takes nothing (stuck on a long batch)."""
    client.hset(RATE_KEY, consumer, f"1.0 {time.time():.0f}")


def until(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
