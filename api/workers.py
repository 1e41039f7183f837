"""Is any worker alive? Asked of the heartbeats the workers publish in Redis.

Every running worker refreshes the time of its entry in `reviewbot.protocol.RATE_KEY` once a
second, idle or busy, and removes it when it stops; a killed worker's entry goes stale. (The
consumer group cannot tell on Redis 6: XINFO CONSUMERS' idle time grows while a consumer blocks
on an empty stream, so an idle worker looks dead.)
"""

import time

import redis.asyncio as aioredis

from reviewbot.protocol import RATE_KEY, live_workers


class Liveness:
    """The number of live workers, asked of Redis at most once per `cache_s` (every request
    needs the answer; one HGETALL per request would double the API's Redis traffic)."""

    def __init__(self, client: aioredis.Redis, fresh_s: float, cache_s: float = 0.5) -> None:
        self.client = client
        self.fresh_s = fresh_s
        self.cache_s = cache_s
        self._count = 0
        self._at = float("-inf")

    async def count(self) -> int:
        now = time.monotonic()
        if now - self._at >= self.cache_s:
            rates = await self.client.hgetall(RATE_KEY)
            self._count = live_workers(rates, time.time(), self.fresh_s)
            self._at = now
        return self._count
