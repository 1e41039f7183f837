"""Prometheus metrics of the HTTP API (GET /metrics), named reviewbot_api_* so that they never
clash with the worker's in a process that runs both (the tests, a demo)."""

import time

from prometheus_client import Counter, Gauge, Histogram

REQUESTS = Counter(
    "reviewbot_api_requests_total",
    "HTTP requests answered, by route template, method and status code.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "reviewbot_api_request_seconds",
    "Time to answer an HTTP request, by route template.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
REVIEWS = Counter(
    "reviewbot_api_reviews_total",
    "Reviews sent through the API, by outcome (queued, refused, busy, no_worker).",
    ["outcome"],
)
VERDICT_WAIT_SECONDS = Histogram(
    "reviewbot_api_verdict_wait_seconds",
    "From queueing a review to its verdict reaching the API, for requests that waited.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
LIVE_WORKERS = Gauge("reviewbot_api_live_workers", "Workers with a fresh heartbeat.")
BACKLOG = Gauge("reviewbot_api_backlog", "Reviews waiting or in flight on the review stream.")


class RequestMetrics:
    """Counts and times every request by route template, as plain ASGI middleware (Starlette's
    BaseHTTPMiddleware runs each request through extra tasks and streams: a measurable share of
    a small request's CPU time)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(route, scope["method"], str(status)).inc()
            REQUEST_SECONDS.labels(route).observe(time.perf_counter() - started)
