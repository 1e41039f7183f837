"""Per-person (or per-API-key) rate limits shared by every front-end, kept in Redis so that all
replicas of a front-end count together and a restart does not reset them.

    limiter = RateLimiter(redis, "telegram", limit=20, window_s=60)
    wait_s = await limiter.hit(user_id)     # 0: go ahead; else seconds until the next is allowed

A sliding log per key (a sorted set of the accepted requests' times), trimmed and checked in one
script: exact at any rate, unlike a fixed window that lets 2 × limit through across a window
edge. A refused request is not recorded, so someone who keeps retrying is let through as soon as
their oldest accepted request leaves the window.
"""

import math
import time
import uuid

import redis.asyncio as aioredis

RATE_PREFIX = "reviewbot:ratelimit:"

#: KEYS[1] the log; ARGV: now (ms), window (ms), limit, a unique member.
#: Returns 0 when accepted, else the milliseconds until the oldest entry leaves the window.
HIT_SCRIPT = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return 0
"""


class RateLimiter:
    def __init__(self, redis: aioredis.Redis, name: str, limit: int, window_s: float) -> None:
        self.redis = redis
        self.name = name
        self.limit = limit
        self.window_ms = int(window_s * 1000)
        self._hit = redis.register_script(HIT_SCRIPT)

    async def hit(self, key: str) -> int:
        """Record a request of `key` if allowed: 0; else whole seconds until one is (>= 1).
        A limit of 0 or less turns the limiter off."""
        if self.limit <= 0:
            return 0
        wait_ms = await self._hit(
            keys=[f"{RATE_PREFIX}{self.name}:{key}"],
            args=[int(time.time() * 1000), self.window_ms, self.limit, uuid.uuid4().hex],
        )
        return math.ceil(int(wait_ms) / 1000)
