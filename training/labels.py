"""Label mappings the seeds used: each turns a raw label into 1 (positive), 0 (negative) or
None (unusable: dropped and counted)."""

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from training.errors import DataError

MAPPINGS = ("auto", "fresh-rotten", "stars", "score", "pn", "binary")

_POSITIVE_WORDS = {"1", "true", "positive", "pos"}
_NEGATIVE_WORDS = {"0", "false", "negative", "neg"}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().lower()


def fresh_rotten(value: Any) -> int | None:
    return {"fresh": 1, "rotten": 0}.get(_word(value))


def stars(value: Any) -> int | None:
    """Star ratings: <= 2 negative, >= 4 positive, 3 (and 2 < x < 4) dropped."""
    number = _number(value)
    if number is None:
        return None
    return 1 if number >= 4 else 0 if number <= 2 else None


def pn(value: Any) -> int | None:
    """EvoMSA's P / N; NEU and NONE are neither and dropped."""
    return {"p": 1, "n": 0}.get(_word(value))


def binary(value: Any) -> int | None:
    """0/1, true/false, positive/negative as they are."""
    word = _word(value)
    return 1 if word in _POSITIVE_WORDS else 0 if word in _NEGATIVE_WORDS else None


def score(dead_zone: float) -> Callable[[Any], int | None]:
    """A numeric score by its sign; |score| < dead_zone is too close to neutral and dropped."""

    def mapper(value: Any) -> int | None:
        number = _number(value)
        if number is None or abs(number) < dead_zone:
            return None
        return 1 if number > 0 else 0

    return mapper


def soft_targets(labels: np.ndarray, scores: np.ndarray | None, slope: float) -> np.ndarray:
    """Training targets: sigmoid(slope x score) for rows with a score, the 0/1 label for the
    rest (and for every row when slope is 0). A snippet its raters found mildly positive (mean
    +0.6 of +-4) is then trained towards P = 0.67 with slope 1.2, a glowing one (+3) towards
    0.97, instead of both towards 1."""
    targets = labels.astype(np.float64)
    if scores is None or slope <= 0:
        return targets
    scored = ~np.isnan(scores)
    targets[scored] = 1.0 / (1.0 + np.exp(-slope * scores[scored]))
    return targets


def mapper(name: str, dead_zone: float) -> Callable[[Any], int | None]:
    named = {"fresh-rotten": fresh_rotten, "stars": stars, "pn": pn, "binary": binary}
    if name == "score":
        return score(dead_zone)
    if name not in named:
        raise DataError(f"unknown label mapping {name!r}; choose one of {', '.join(MAPPINGS)}")
    return named[name]


def detect_mapping(values: Iterable[Any]) -> tuple[str, str]:
    """The mapping the distinct values of a label column call for, and why."""
    distinct = {value for value in values if value is not None and value != ""}
    if not distinct:
        raise DataError("the label column is empty")
    words = {_word(value) for value in distinct}
    numbers = [_number(value) for value in distinct]
    if words <= {"fresh", "rotten"}:
        return "fresh-rotten", "values are fresh/rotten"
    if words <= {"p", "n", "neu", "none"} and words & {"p", "n"}:
        return "pn", "values are P/N/NEU/NONE"
    if words <= _POSITIVE_WORDS | _NEGATIVE_WORDS:
        return "binary", f"values are {'/'.join(sorted(words))}"
    if all(number is not None for number in numbers):
        low, high = min(numbers), max(numbers)
        if low < 0:
            return (
                "score",
                f"numeric values from {low:g} to {high:g}, some negative: sign of a score",
            )
        if all(float(n).is_integer() for n in numbers) and 1 <= low and high <= 5:
            return "stars", f"whole numbers from {low:g} to {high:g}: star ratings"
    shown = ", ".join(sorted(words)[:8])
    raise DataError(
        f"cannot tell how to read the label values ({shown}{', ...' if len(words) > 8 else ''}); "
        f"give --label-mapping, one of {', '.join(MAPPINGS[1:])}"
    )
