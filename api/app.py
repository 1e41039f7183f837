"""The FastAPI application: routes, the API-key check and rate limit, health and metrics.

app = create_app()                     # ApiSettings(), REVIEWBOT_REDIS_URL, open_store()
uvicorn.run(app, host=..., port=...)   # what `reviewbot api` does
"""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Path, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api import metrics
from api.errors import ApiError, install_handlers, request_language
from api.keys import KeyCache
from api.limits import BodyLimit
from api.models import (
    BatchOut,
    BatchRequest,
    FeedbackOut,
    FeedbackRequest,
    Health,
    ItemError,
    PendingOut,
    PredictBatchRequest,
    PredictItem,
    PredictSingleRequest,
    Problem,
    Readiness,
    ReviewRequest,
    VerdictOut,
)
from api.page import page_html
from api.reviews import Pending, Refused, Reviews
from api.settings import ApiSettings
from api.workers import Liveness
from frontend.client import AsyncReviewClient
from frontend.ratelimit import RateLimiter
from frontend.texts import sentence
from reviewbot.connection import connect_async
from reviewbot.messages import ApiKey, Language, Verdict
from reviewbot.protocol import RATE_KEY
from reviewbot.settings import StreamSettings

log = logging.getLogger(__name__)

#: Longest review id accepted in a path (ours are 36 characters).
MAX_ID_CHARS = 200


def _errors(*statuses: int) -> dict:
    return {status: {"model": Problem} for status in statuses}


#: Every route that takes reviews may answer these.
REVIEW_ERRORS = _errors(401, 413, 422, 429, 503)


@dataclass
class Caller:
    """Who is asking: an API key, or nobody where keys are off."""

    key: ApiKey | None

    @property
    def principal(self) -> str:
        return f"key:{self.key.id}" if self.key else "anonymous"


@dataclass
class Services:
    settings: ApiSettings
    redis: object
    reviews: Reviews
    keys: KeyCache | None
    limiters: dict[int, RateLimiter]

    def limiter(self, limit: int) -> RateLimiter:
        if limit not in self.limiters:
            self.limiters[limit] = RateLimiter(
                self.redis, "api", limit, self.settings.rate_window_s
            )
        return self.limiters[limit]


LangDep = Annotated[Language, Depends(request_language)]
ReviewId = Annotated[str, Path(max_length=MAX_ID_CHARS)]

bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API key>")
key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="The API key")


def services(request: Request) -> Services:
    return request.app.state.services


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    header_key: Annotated[str | None, Depends(key_header)],
    lang: LangDep,
) -> Caller:
    """The API key check (where keys are required) and its rate limit. The key is never logged."""
    state = services(request)
    if state.keys is None:
        return Caller(None)
    secret = credentials.credentials if credentials else header_key
    if not secret:
        raise ApiError(
            401,
            "key_required",
            sentence("key_required", lang),
            headers={"WWW-Authenticate": "Bearer"},
        )
    from storage.errors import StoreUnavailable

    try:
        key = await state.keys.lookup(secret)
    except StoreUnavailable:
        raise ApiError.said(503, "unavailable", lang) from None
    if key is None:
        raise ApiError(
            401,
            "key_invalid",
            sentence("key_invalid", lang),
            headers={"WWW-Authenticate": "Bearer"},
        )
    limit = state.settings.rate_limit if key.rate_limit is None else key.rate_limit
    wait_s = await state.limiter(limit).hit(key.id)
    if wait_s:
        raise ApiError.said(429, "rate_limited", lang, seconds=wait_s)
    return Caller(key)


CallerDep = Annotated[Caller, Depends(caller)]


def _answer(outcome: Verdict | Pending, lang: Language, started: float):
    if isinstance(outcome, Pending):
        return _pending(outcome.id, lang)
    return VerdictOut.of(outcome, lang, total_ms=(time.perf_counter() - started) * 1000)


def _pending(review_id: str, lang: Language) -> JSONResponse:
    """202 with the id, Location and Retry-After (a JSONResponse: the route's model is the verdict)."""
    body = PendingOut(id=review_id, detail=sentence("pending", lang))
    headers = {"Location": f"/v1/reviews/{review_id}", "Retry-After": "1"}
    return JSONResponse(body.model_dump(), 202, headers=headers)


def _item(outcome, lang: Language):
    if isinstance(outcome, Pending):
        return PendingOut(id=outcome.id, detail=sentence("pending", lang))
    if isinstance(outcome, Refused):
        return ItemError(
            code=outcome.code, detail=outcome.detail, retry_after_s=outcome.retry_after_s
        )
    return VerdictOut.of(outcome, lang)


def _predict_item(outcome, lang: Language) -> PredictItem:
    if isinstance(outcome, Pending):
        return PredictItem.failed(sentence("timeout", lang, seconds="…"))
    if isinstance(outcome, Refused):
        return PredictItem.failed(outcome.detail)
    return PredictItem.of(outcome)


def create_app(
    settings: ApiSettings | None = None,
    *,
    redis_url: str | None = None,
    store=None,
    stream_settings: StreamSettings | None = None,
) -> FastAPI:
    """The API. `store`: the history database for feedback and keys (None: `open_store()`,
    opened at start and closed at shutdown)."""
    settings = settings or ApiSettings()
    stream_settings = stream_settings or StreamSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_store = store is None
        if own_store:
            from storage import open_store

            opened = await asyncio.to_thread(open_store)
        else:
            opened = store
        redis = connect_async(redis_url)
        client = AsyncReviewClient(redis, stream_settings)
        liveness = Liveness(redis, settings.worker_fresh_s)
        app.state.services = Services(
            settings=settings,
            redis=redis,
            reviews=Reviews(client, redis, liveness, settings, opened),
            keys=KeyCache(opened, settings.key_cache_s) if settings.keys_required() else None,
            limiters={},
        )
        log.info(
            "API keys %s", "required" if settings.keys_required() else "off (loopback address)"
        )
        try:
            yield
        finally:
            await redis.aclose()
            if own_store:
                opened.close()

    app = FastAPI(
        title="ReviewBot",
        version="1",
        summary="Sentiment of English and Spanish movie reviews, through the same queue, workers "
        "and history as the chat bots.",
        lifespan=lifespan,
    )
    install_handlers(app)

    # -- reviews -------------------------------------------------------------------------------

    @app.post(
        "/v1/reviews",
        response_model=VerdictOut,
        responses={202: {"model": PendingOut}, **REVIEW_ERRORS},
        summary="Classify a review: its verdict within wait_s, else 202 with its id",
    )
    async def post_review(
        body: ReviewRequest,
        request: Request,
        who: CallerDep,
        lang: LangDep,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ):
        started = time.perf_counter()
        reviews = services(request).reviews
        outcome = await reviews.classify(
            body.text,
            who.principal,
            who.key and who.key.id,
            body.id or idempotency_key,
            reviews.wait_for(body.wait_s),
            lang,
        )
        return _answer(outcome, lang, started)

    @app.post(
        "/v1/reviews/batch",
        response_model=BatchOut,
        responses=REVIEW_ERRORS,
        summary="Classify many reviews: verdicts in order, refusals inline",
    )
    async def post_batch(
        body: BatchRequest,
        request: Request,
        who: CallerDep,
        lang: LangDep,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> BatchOut:
        reviews = services(request).reviews
        outcomes = await reviews.classify_many(
            body.texts,
            who.principal,
            who.key and who.key.id,
            idempotency_key,
            reviews.wait_for(body.wait_s),
            lang,
        )
        return BatchOut(items=[_item(outcome, lang) for outcome in outcomes])

    @app.get(
        "/v1/reviews/{review_id}",
        response_model=VerdictOut,
        responses={202: {"model": PendingOut}, **_errors(401, 404, 422, 429, 503)},
        summary="A review's verdict, or 202 while it is queued",
    )
    async def get_review(
        request: Request,
        review_id: ReviewId,
        who: CallerDep,
        lang: LangDep,
    ):
        outcome = await services(request).reviews.lookup(review_id)
        if outcome is None:
            raise ApiError.said(404, "not_found", lang)
        if isinstance(outcome, Pending):
            return _pending(outcome.id, lang)
        return VerdictOut.of(outcome, lang)

    @app.post(
        "/v1/reviews/{review_id}/feedback",
        response_model=FeedbackOut,
        responses=_errors(401, 404, 413, 422, 429, 503),
        summary="Say which label is right (one vote per person and review)",
    )
    async def post_feedback(
        body: FeedbackRequest,
        request: Request,
        review_id: ReviewId,
        who: CallerDep,
        lang: LangDep,
    ) -> FeedbackOut:
        voter = f"{who.principal}:{body.user_id or 'default'}"
        await services(request).reviews.feedback(review_id, voter, body.label, lang)
        return FeedbackOut(id=review_id, label=body.label, detail=sentence("feedback_thanks", lang))

    # -- the old app's routes ----------------------------------------------------------------

    @app.post(
        "/predict_single",
        response_model=PredictItem,
        responses={504: {"model": Problem}, **REVIEW_ERRORS},
        summary="The old web app's route: {label, probability, threshold, language}",
    )
    async def predict_single(
        body: PredictSingleRequest,
        request: Request,
        who: CallerDep,
        lang: LangDep,
    ) -> PredictItem:
        reviews = services(request).reviews
        wait_s = reviews.settings.max_wait_s
        outcome = await reviews.classify(
            body.text, who.principal, who.key and who.key.id, None, wait_s, lang
        )
        if isinstance(outcome, Pending):
            raise ApiError(504, "timeout", sentence("timeout", lang, seconds=f"{wait_s:g}"))
        return PredictItem.of(outcome)

    @app.post(
        "/predict_batch",
        response_model=list[PredictItem],
        responses=REVIEW_ERRORS,
        summary="The old web app's route: one {label, probability, threshold, language} per text",
    )
    async def predict_batch(
        body: PredictBatchRequest,
        request: Request,
        who: CallerDep,
        lang: LangDep,
    ) -> list[PredictItem]:
        reviews = services(request).reviews
        outcomes = await reviews.classify_many(
            body.texts,
            who.principal,
            who.key and who.key.id,
            None,
            reviews.settings.max_wait_s,
            lang,
        )
        return [_predict_item(outcome, lang) for outcome in outcomes]

    # -- operations ----------------------------------------------------------------------------

    @app.get("/healthz", response_model=Health, summary="The process is up")
    async def healthz() -> Health:
        return Health()

    @app.get(
        "/readyz",
        response_model=Readiness,
        responses=_errors(503),
        summary="Redis answers and at least one worker is alive",
    )
    async def readyz(request: Request, lang: LangDep):
        state = services(request)
        try:
            workers = await state.reviews.liveness.count()
            backlog = await state.redis.xlen(state.reviews.client.settings.stream)
        except Exception as error:  # noqa: BLE001 - Redis down: not ready, and say so
            log.warning("readyz: Redis unavailable: %r", error)
            raise ApiError.said(503, "unavailable", lang) from None
        metrics.LIVE_WORKERS.set(workers)
        metrics.BACKLOG.set(backlog)
        if workers == 0:
            raise ApiError(503, "no_worker", sentence("no_worker", lang))
        return Readiness(workers=workers, backlog=backlog)

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    async def prometheus_metrics(request: Request) -> Response:
        state = services(request)
        try:
            rates = await state.redis.hgetall(RATE_KEY)
            from reviewbot.protocol import live_workers

            metrics.LIVE_WORKERS.set(
                live_workers(rates, time.time(), state.settings.worker_fresh_s)
            )
            metrics.BACKLOG.set(await state.redis.xlen(state.reviews.client.settings.stream))
        except Exception as error:  # noqa: BLE001 - still serve what this process knows
            log.warning("metrics: Redis unavailable: %r", error)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(page_html(settings))

    app.add_middleware(metrics.RequestMetrics)
    # Outermost: a body over the limit is refused before FastAPI reads it.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
