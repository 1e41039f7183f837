"""What the routes do with reviews: queue them on the shared stream, wait for their verdicts on
the result keys, answer feedback through the store. Same stream, workers, history and feedback
as the bots; no model in this process.

How a verdict reaches the API: the worker writes it to the review's result key and pushes to
its done list; `AsyncReviewClient.wait_result` blocks on that list (BLPOP), so a request waits
without polling and any API replica can answer GET /v1/reviews/{id} later. No reply stream is
needed: an HTTP client that went away simply asks again by id.
"""

import asyncio
import hashlib
import time
from dataclasses import dataclass

import redis.asyncio as aioredis

from api import metrics
from api.errors import ApiError, from_submit_error, submit_error_code
from api.settings import ApiSettings
from api.workers import Liveness
from frontend.client import AsyncReviewClient, ResultTimeout
from frontend.texts import sentence, submit_error_text
from reviewbot.messages import Label, Language, Review, Source, Verdict, new_review_id
from reviewbot.protocol import submitted_key
from reviewbot.validation import Busy, SubmitError, check_text

#: Prefix of every review id the API makes ("api-" + 32 hex): safe in a URL path, and a
#: client-chosen id is hashed into it, so one key cannot guess or reuse another's reviews.
ID_PREFIX = "api-"


@dataclass(frozen=True)
class Pending:
    """A review queued but not answered within the wait."""

    id: str


@dataclass(frozen=True)
class Refused:
    """A batch item that was not queued, with why (the sentence and a code)."""

    code: str
    detail: str
    retry_after_s: int | None = None


Outcome = Verdict | Pending | Refused


def review_id(principal: str, client_id: str | None) -> str:
    """A fresh id, or the one `client_id` of `principal` always maps to (idempotent retries)."""
    if client_id is None:
        return ID_PREFIX + new_review_id()
    digest = hashlib.sha256(f"{principal}\0{client_id}".encode("utf-8", "replace"))
    return ID_PREFIX + digest.hexdigest()[:32]


class Reviews:
    def __init__(
        self,
        client: AsyncReviewClient,
        redis: aioredis.Redis,
        liveness: Liveness,
        settings: ApiSettings,
        store=None,
    ) -> None:
        self.client = client
        self.redis = redis
        self.liveness = liveness
        self.settings = settings
        self.store = store

    def wait_for(self, wait_s: float | None) -> float:
        if wait_s is None:
            return self.settings.default_wait_s
        return min(wait_s, self.settings.max_wait_s)

    async def require_worker(self, lang: Language) -> None:
        """503 with a sentence when no worker is alive: a review queued now would only wait."""
        if await self.liveness.count() == 0:
            metrics.REVIEWS.labels("no_worker").inc()
            raise ApiError(
                503, "no_worker", sentence("no_worker", lang), headers={"Retry-After": "10"}
            )

    # -- one review ---------------------------------------------------------------------------

    async def classify(
        self,
        text: object,
        principal: str,
        user_id: str | None,
        client_id: str | None,
        wait_s: float,
        lang: Language,
    ) -> Verdict | Pending:
        """Queue `text` (or find the review `client_id` already queued) and wait for its verdict.
        Raises ApiError: 422 bad text, 429 busy, 503 no worker."""
        try:
            check_text(text, self.client.settings.max_review_chars)
        except SubmitError as error:
            metrics.REVIEWS.labels("refused").inc()
            raise from_submit_error(error, lang) from None
        review = Review(
            id=review_id(principal, client_id), text=text, source=Source.API, user_id=user_id
        )
        if client_id is not None and (verdict := await self.client.result(review.id)):
            return verdict  # a retried request: its review was answered already
        await self.require_worker(lang)
        try:
            await self._queue_once(review)
        except SubmitError as error:
            raise from_submit_error(error, lang) from None
        return await self._wait(review.id, wait_s)

    async def _queue_once(self, review: Review) -> None:
        """Queue `review` unless a request with the same id already did (its marker is set)."""
        marker = submitted_key(review.id)
        if not await self.redis.set(marker, "1", nx=True, ex=self.settings.pending_ttl_s):
            return
        try:
            await self.client.submit(review)
        except BaseException as error:
            await self.redis.delete(marker)
            metrics.REVIEWS.labels("busy" if isinstance(error, Busy) else "refused").inc()
            raise
        metrics.REVIEWS.labels("queued").inc()

    async def _wait(self, review_id: str, wait_s: float) -> Verdict | Pending:
        if wait_s <= 0:
            return Pending(review_id)
        started = time.monotonic()
        try:
            verdict = await self.client.wait_result(review_id, wait_s)
        except ResultTimeout:
            return Pending(review_id)
        metrics.VERDICT_WAIT_SECONDS.observe(time.monotonic() - started)
        return verdict

    async def lookup(self, review_id: str) -> Verdict | Pending | None:
        """The verdict, Pending while queued, None when the API never queued it (or it expired)."""
        if verdict := await self.client.result(review_id):
            return verdict
        if await self.redis.exists(submitted_key(review_id)):
            return Pending(review_id)
        return None

    # -- many reviews -------------------------------------------------------------------------

    async def classify_many(
        self,
        texts: list,
        principal: str,
        user_id: str | None,
        client_id: str | None,
        wait_s: float,
        lang: Language,
    ) -> list[Outcome]:
        """One outcome per text, in order: a refusal inline for a bad text or a full queue.
        Raises ApiError 422 for too many texts, 503 with no worker, 429 when none was queued
        because the queue is full."""
        limit = self.settings.batch_max_texts
        if len(texts) > limit:
            raise ApiError.said(422, "batch_too_large", lang, limit=limit, count=len(texts))
        outcomes: list[Outcome | Review] = []
        for index, text in enumerate(texts):
            try:
                check_text(text, self.client.settings.max_review_chars)
            except SubmitError as error:
                metrics.REVIEWS.labels("refused").inc()
                outcomes.append(Refused(submit_error_code(error), submit_error_text(error, lang)))
                continue
            item_id = None if client_id is None else f"{client_id}\0{index}"
            outcomes.append(
                Review(
                    id=review_id(principal, item_id), text=text, source=Source.API, user_id=user_id
                )
            )
        reviews = [(i, o) for i, o in enumerate(outcomes) if isinstance(o, Review)]
        if not reviews:
            return outcomes  # type: ignore[return-value]
        await self.require_worker(lang)
        queued = await asyncio.gather(*(self._queue_item(review, lang) for _, review in reviews))
        busy = [q for q in queued if isinstance(q, Refused) and q.code == "busy"]
        if len(busy) == len(reviews):
            raise ApiError(429, "busy", busy[0].detail, retry_after_s=busy[0].retry_after_s)
        deadline = time.monotonic() + wait_s
        waits = []
        for (index, review), refusal in zip(reviews, queued, strict=True):
            if refusal is not None:
                outcomes[index] = refusal
            else:
                waits.append((index, review.id))
        answers = await asyncio.gather(
            *(self._wait(rid, max(0.0, deadline - time.monotonic())) for _, rid in waits)
        )
        for (index, _), answer in zip(waits, answers, strict=True):
            outcomes[index] = answer
        return outcomes  # type: ignore[return-value]

    async def _queue_item(self, review: Review, lang: Language) -> Refused | None:
        try:
            await self._queue_once(review)
        except SubmitError as error:
            retry = error.retry_after_s if isinstance(error, Busy) else None
            return Refused(submit_error_code(error), submit_error_text(error, lang), retry)
        return None

    # -- feedback -----------------------------------------------------------------------------

    async def feedback(self, review_id: str, voter: str, label: Label, lang: Language) -> None:
        """Record a vote; 404 when the review is not stored, 503 when the store is down."""
        from storage.errors import StoreUnavailable

        if self.store is None:
            raise ApiError.said(503, "unavailable", lang)
        try:
            await asyncio.to_thread(self.store.add_feedback, review_id, voter, label)
        except KeyError:
            raise ApiError.said(404, "feedback_gone", lang) from None
        except StoreUnavailable:
            raise ApiError.said(503, "unavailable", lang) from None
