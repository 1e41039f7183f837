"""Start one worker process: load the checkpoint, connect, serve metrics, run until stopped."""

import gc
import logging
import os
import secrets
import socket
import threading
from pathlib import Path

from model import ModelSettings
from reviewbot.connection import connect_worker
from worker.service import VerdictStore, Worker
from worker.settings import WorkerSettings
from worker.stream import ReviewStream

log = logging.getLogger(__name__)

WARM_UP_REVIEWS = [
    "A warm-up review: the film was fine, the acting good and the story a bit long.",
    "Una reseña de calentamiento: la película está bien, aunque es un poco larga.",
]


def consumer_name() -> str:
    """Unique per process and host, so any number of workers share one consumer group."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


def checkpoint_path(settings: ModelSettings) -> Path:
    """The configured checkpoint, else the default one (built by `reviewbot demo` or the
    training package)."""
    from model.paths import served_checkpoint_dir

    return served_checkpoint_dir(settings)


def build_worker(
    settings: WorkerSettings | None = None,
    model_settings: ModelSettings | None = None,
    redis_url: str | None = None,
    store: VerdictStore | None = None,
) -> Worker:
    from model import load

    settings = settings or WorkerSettings()
    model_settings = model_settings or ModelSettings()
    classifier = load(checkpoint_path(model_settings), model_settings)
    stream = ReviewStream(connect_worker(redis_url), settings, consumer_name())
    return Worker(classifier, stream, settings, store)


def open_default_store() -> VerdictStore:
    from storage import open_store

    return open_store()


def freeze_heap() -> None:
    """Move everything loaded so far (torch, transformers, the model: ~400k objects) out of the
    garbage collector's reach: it lives as long as the process, and every full collection
    would scan it again. Measured with the tiny checkpoint loaded: building a review's
    Prediction + Verdict cost 31 core-µs with the heap scanned, 8 after gc.freeze()."""
    gc.collect()
    gc.freeze()


def run_process(
    settings: WorkerSettings | None = None,
    model_settings: ModelSettings | None = None,
    index: int = 0,
    with_store: bool = True,
    pooled: bool = False,
) -> None:
    """One worker process of a pool (index i serves metrics on metrics_port + i)."""
    from worker import metrics, shutdown

    # The model's encoder spreads each batch over its own threads (model/encoding.py); the
    # tokenizer's rayon pool under them would oversubscribe the cores and hide its CPU time
    # from the stage counters. Read by the Rust tokenizer at each call; set before any.
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    settings = settings or WorkerSettings()
    store = open_default_store() if with_store else None
    server = None
    worker = None
    try:  # from here on, whatever fails (loading the model, say) closes the store's connections
        worker = build_worker(settings, model_settings, store=store)
        if threading.current_thread() is threading.main_thread():
            shutdown.install(worker.stop, pooled)
        metrics.watch_stream(worker.stream.depth, worker.stream.pending)
        if settings.metrics_port:
            try:
                server = metrics.serve(
                    settings.metrics_host, settings.metrics_port + index, worker.health
                )
            except OSError as exc:
                log.warning(
                    "metrics endpoint not started (port %d): %s", settings.metrics_port + index, exc
                )
        # The language models; on CUDA every bucket's graph (or every padded length, eagerly).
        worker.classifier.warmup()
        # The first calls pay for lazy initialization (torch kernels, the language
        # detector's n-gram models, loaded per language on first sight).
        worker.classifier.predict(WARM_UP_REVIEWS)
        freeze_heap()
        worker.run()
    finally:
        if server:
            server.shutdown()
        if worker is not None:
            worker.classifier.close()
        if store is not None:
            store.close()
