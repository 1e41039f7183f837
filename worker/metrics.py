"""Prometheus metrics and the /healthz + /metrics HTTP endpoint of a worker process.

Queue depth and pending count are read from Redis at scrape time (a custom collector), so
they are true even while the worker is idle or stuck.
"""

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, Info, generate_latest
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

_POWERS_OF_TWO = tuple(float(2**i) for i in range(11))  # 1 .. 1024
_LATENCY = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

BATCH_SIZE = Histogram(
    "reviewbot_batch_size", "Reviews per classified batch", buckets=_POWERS_OF_TWO
)
BATCH_TOKENS = Histogram(
    "reviewbot_batch_tokens",
    "Tokens per classified batch",
    buckets=tuple(64 * b for b in _POWERS_OF_TWO),
)
CLASSIFY_SECONDS = Histogram(
    "reviewbot_classify_seconds", "Tokenization + model time of one batch", buckets=_LATENCY
)
END_TO_END_SECONDS = Histogram(
    "reviewbot_end_to_end_seconds",
    "From a review's arrival at the front-end to its answer",
    buckets=_LATENCY,
)
REVIEWS = Counter("reviewbot_reviews", "Reviews answered, by outcome", ["outcome"])
DEAD_LETTERS = Counter("reviewbot_dead_letters", "Entries moved to the dead-letter stream")
STORE_RETRIES = Counter(
    "reviewbot_store_retries", "Batches retried because the database was unreachable"
)
MODEL = Info("reviewbot_model", "The checkpoint this worker serves")
LAST_LOOP = Gauge("reviewbot_last_loop_timestamp_seconds", "When the worker's read loop last ran")


class StreamCollector(Collector):
    """reviewbot_queue_depth and reviewbot_pending, asked of Redis when scraped."""

    def __init__(self, depth: Callable[[], int], pending: Callable[[], int]) -> None:
        self.depth = depth
        self.pending = pending

    def collect(self):
        try:
            depth, pending = self.depth(), self.pending()
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because Redis blinked
            log.warning("could not read the queue depth: %s", exc)
            return
        yield GaugeMetricFamily(
            "reviewbot_queue_depth", "Reviews waiting or in flight", value=depth
        )
        yield GaugeMetricFamily(
            "reviewbot_pending", "Reviews delivered to a worker, not yet acked", value=pending
        )


_collector: StreamCollector | None = None


def watch_stream(depth: Callable[[], int], pending: Callable[[], int]) -> None:
    """Report this process's stream (once per process: the registry is global)."""
    global _collector
    if _collector is None:
        _collector = StreamCollector(depth, pending)
        REGISTRY.register(_collector)
    else:
        _collector.depth, _collector.pending = depth, pending


def serve(host: str, port: int, health: Callable[[], dict]) -> ThreadingHTTPServer:
    """Serve /metrics and /healthz on a daemon thread. `health` returns a dict with "ok"."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server calls do_GET by this name
            if self.path.startswith("/metrics"):
                self._send(200, CONTENT_TYPE_LATEST, generate_latest(REGISTRY))
            elif self.path.startswith("/healthz"):
                state = health()
                self._send(
                    200 if state["ok"] else 503, "application/json", json.dumps(state).encode()
                )
            else:
                self._send(404, "text/plain", b"not found: try /healthz or /metrics\n")

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:  # scrapes every few seconds would flood the log
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="metrics-http", daemon=True).start()
    log.info("metrics on http://%s:%d/metrics, health on /healthz", host, server.server_port)
    return server


def mark_loop() -> None:
    LAST_LOOP.set(time.time())
