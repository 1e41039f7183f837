"""Per-person rate limits in Redis: exact within the window, shared by every replica, a refusal
says how long to wait."""

import asyncio

import redis.asyncio as aioredis

from frontend.ratelimit import RateLimiter


async def test_a_person_over_the_limit_is_told_when_to_come_back(redis_url):
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    limiter = RateLimiter(client, "test", limit=3, window_s=60)
    assert [await limiter.hit("alice") for _ in range(3)] == [0, 0, 0]
    wait = await limiter.hit("alice")
    assert 59 <= wait <= 60
    assert await limiter.hit("bob") == 0  # per person
    await client.aclose()


async def test_replicas_count_together_and_the_window_slides(redis_url):
    first = aioredis.Redis.from_url(redis_url, decode_responses=True)
    second = aioredis.Redis.from_url(redis_url, decode_responses=True)
    limiters = [RateLimiter(c, "test", limit=5, window_s=0.5) for c in (first, second)]
    outcomes = await asyncio.gather(*(limiters[n % 2].hit("carol") for n in range(12)))
    assert sum(1 for wait in outcomes if wait == 0) == 5
    await asyncio.sleep(0.6)
    assert await limiters[0].hit("carol") == 0
    await first.aclose()
    await second.aclose()


async def test_a_limit_of_zero_turns_the_limiter_off(redis_url):
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    limiter = RateLimiter(client, "test", limit=0, window_s=60)
    assert {await limiter.hit("dave") for _ in range(50)} == {0}
    await client.aclose()
