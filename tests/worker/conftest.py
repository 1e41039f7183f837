"""Worker fixtures: settings with short timings, a worker serving in a background thread, and
the environment of a worker started as a real process."""

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from model import ModelSettings
from worker.client import ReviewClient
from worker.runner import build_worker
from worker.service import Worker
from worker.settings import WorkerSettings


@pytest.fixture
def worker_settings() -> WorkerSettings:
    # Short idle and block times so reclaim, dead letters and shutdown happen within a test.
    return WorkerSettings(
        claim_idle_ms=600,
        block_ms=100,
        max_deliveries=2,
        metrics_port=0,
        max_wait_ms=5,
        store_retry_max_s=0.5,
    )


@pytest.fixture
def model_settings(tiny_checkpoint: Path) -> ModelSettings:
    return ModelSettings(checkpoint=tiny_checkpoint, device="cpu", cpu_threads=1)


@pytest.fixture
def client(redis_url: str, worker_settings: WorkerSettings) -> Iterator[ReviewClient]:
    client = ReviewClient(redis.Redis.from_url(redis_url, decode_responses=True), worker_settings)
    yield client
    client.close()


@pytest.fixture
def running_worker(
    redis_url: str, worker_settings: WorkerSettings, model_settings: ModelSettings
) -> Callable:
    """`with running_worker(store=...) as worker:` serves in a thread until the block ends."""

    @contextmanager
    def run(store=None, settings: WorkerSettings | None = None, wrap=None) -> Iterator[Worker]:
        worker = build_worker(settings or worker_settings, model_settings, redis_url, store)
        if wrap is not None:  # e.g. a classifier with an injected fault
            worker.classifier = wrap(worker.classifier)
        thread = threading.Thread(target=worker.run, name="test-worker")
        thread.start()
        try:
            yield worker
        finally:
            worker.stop.set()
            thread.join(timeout=30)
            assert not thread.is_alive(), "the worker did not stop"

    return run


@pytest.fixture
def worker_process_env(
    redis_url: str, tiny_checkpoint: Path, tmp_path: Path
) -> Callable[..., dict]:
    """`worker_process_env(REVIEWBOT_X="1")`: the environment of a `python -m worker` process
    serving the tiny checkpoint on the test's Redis, plus the given variables."""

    def make(**extra: str) -> dict[str, str]:
        return dict(
            os.environ,
            REVIEWBOT_REDIS_URL=redis_url,
            REVIEWBOT_HOME=str(tmp_path / "home"),
            REVIEWBOT_MODEL_CHECKPOINT=str(tiny_checkpoint),
            REVIEWBOT_MODEL_DEVICE="cpu",
            REVIEWBOT_MODEL_CPU_THREADS="1",
            REVIEWBOT_WORKER_METRICS_PORT="0",
            **extra,
        )

    return make
