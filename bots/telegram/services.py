"""What the bot's handlers, intake and reply sender share: Redis, the review client, the history
store, the per-person rate limiter, the RQ queue, and a little per-person state in Redis.

One `Services` per process, opened at start and closed at exit. The store is synchronous
SQLAlchemy: every call goes through `asyncio.to_thread` so the event loop never blocks on SQL.
"""

import asyncio
from dataclasses import dataclass, field

import redis.asyncio as aioredis

from bots.telegram.settings import TelegramSettings
from frontend.client import AsyncReviewClient
from frontend.ratelimit import RateLimiter
from reviewbot.connection import connect_rq, redis_url
from reviewbot.messages import Language
from reviewbot.settings import StreamSettings

PREFIX = "reviewbot:telegram:"
#: How long the bot remembers a person's interface language (for answers sent later, by the
#: reply consumer or after a /forget job): longer than any review waits.
LANGUAGE_TTL_S = 30 * 24 * 3600
#: Redis connections of one bot process, and how long a request waits for a free one.
REDIS_CONNECTIONS = 64
REDIS_WAIT_S = 20.0
#: A Redis command taking longer fails (and its update is retried). redis-py's default of 5 s
#: failed healthy commands when the tests' in-process worker held the GIL for ~4 s.
REDIS_TIMEOUT_S = 30.0


@dataclass
class Services:
    settings: TelegramSettings
    redis: aioredis.Redis
    client: AsyncReviewClient
    limiter: RateLimiter
    store: object  # storage.Store; typed loosely so importing this module needs no SQLAlchemy
    redis_url: str
    stream_settings: StreamSettings = field(default_factory=StreamSettings)
    _queue: object = None

    @classmethod
    def open(
        cls,
        settings: TelegramSettings,
        url: str | None = None,
        store: object = None,
        stream_settings: StreamSettings | None = None,
    ) -> "Services":
        from storage import open_store

        url = url or redis_url()
        # One pool for the intake's concurrent handlers (up to a batch of 100 updates), the
        # reply consumer (32 at once, plus its blocking read) and the watchers. A blocking pool
        # makes a burst wait for a free connection; redis-py's default pool raises "Too many
        # connections" instead, which failed whole batches in the benchmark (14 reviews/s).
        client = aioredis.Redis.from_pool(
            aioredis.BlockingConnectionPool.from_url(
                url,
                decode_responses=True,
                max_connections=REDIS_CONNECTIONS,
                timeout=REDIS_WAIT_S,
                socket_timeout=REDIS_TIMEOUT_S,
            )
        )
        stream_settings = stream_settings or StreamSettings()
        return cls(
            settings=settings,
            redis=client,
            client=AsyncReviewClient(client, stream_settings),
            limiter=RateLimiter(
                client, "telegram", settings.rate_limit_reviews, settings.rate_limit_window_s
            ),
            store=store if store is not None else open_store(),
            redis_url=url,
            stream_settings=stream_settings,
        )

    async def in_store(self, method: str, *args):
        """Call a Store method off the event loop."""
        return await asyncio.to_thread(getattr(self.store, method), *args)

    def jobs_queue(self):
        """The RQ queue of background jobs (its sync client is made once, on first use)."""
        if self._queue is None:
            from jobs.queueing import jobs_queue

            self._queue = jobs_queue(connect_rq(self.redis_url))
        return self._queue

    async def remember_language(self, user_id: int | str, lang: Language) -> None:
        await self.redis.set(f"{PREFIX}lang:{user_id}", lang.value, ex=LANGUAGE_TTL_S)

    async def language_of(self, user_id: int | str | None) -> Language:
        if user_id is None:
            return Language.EN
        value = await self.redis.get(f"{PREFIX}lang:{user_id}")
        return Language(value) if value in (Language.EN, Language.ES) else Language.EN

    async def forget_language(self, user_id: int | str) -> None:
        await self.redis.delete(f"{PREFIX}lang:{user_id}")

    async def aclose(self, close_store: bool = True) -> None:
        if self._queue is not None:
            self._queue.connection.close()
        await self.redis.aclose()
        if close_store:
            await asyncio.to_thread(self.store.close)
