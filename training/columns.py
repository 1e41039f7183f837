"""Which columns of a user's table hold the review text, its label and its group (the movie).

A known name wins (the seeds' datasets: `review_content` / `review_type` /
`rotten_tomatoes_link`, IMDB's `review` / `sentiment`, amazon_reviews_multi's `review_body` /
`stars` / `product_id`, tweet_eval's `text` / `label`); otherwise the text is the string column
with the longest average length. Every choice comes with the reason, for the report.
"""

from dataclasses import dataclass
from typing import Any

from reviewbot.excerpts import printable
from training.errors import DataError

TEXT_NAMES = (
    "text", "review", "review_content", "review_text", "review_body", "content", "body",
    "sentence", "snippet", "tweet", "comment", "document",
)  # fmt: skip
LABEL_NAMES = (
    "label", "labels", "sentiment", "review_type", "polarity", "klass", "class", "target",
    "stars", "rating", "score", "review_score",
)  # fmt: skip
GROUP_NAMES = (
    "rotten_tomatoes_link", "movie_id", "movie", "movie_title", "film", "imdb_id", "title_id",
    "product_id", "asin", "group",
)  # fmt: skip


@dataclass(frozen=True)
class Columns:
    text: str
    label: str | None
    group: str | None
    reasons: dict[str, str]


def _by_name(names: list[str], known: tuple[str, ...]) -> str | None:
    lowered = {name.lower(): name for name in names}
    return next((lowered[name] for name in known if name in lowered), None)


def _mean_text_length(values: list[Any]) -> float:
    strings = [value for value in values if isinstance(value, str)]
    if len(strings) < len(values) / 2:
        return 0.0  # mostly not strings
    return sum(map(len, strings)) / max(len(strings), 1)


def _pick(
    role: str, given: str | None, names: list[str], known: tuple[str, ...]
) -> tuple[str | None, str]:
    if given:
        if given not in names:
            raise DataError(
                f"no {role} column '{printable(given, 60)}'; the columns are {_listed(names)}"
            )
        return given, "given"
    found = _by_name(names, known)
    return found, "known name" if found else "none found"


def _listed(names: list[str]) -> str:
    """Column names for a message: escaped (a header can hold escape codes), at most 20."""
    shown = ", ".join(printable(name, 40) for name in names[:20])
    return shown + (f" and {len(names) - 20} more" if len(names) > 20 else "")


def _check_flat(table: dict[str, list[Any]], column: str | None, role: str) -> None:
    """Refuse a column of lists or structs (nested Parquet): no review text or label is one."""
    if column is None:
        return
    sample = next((value for value in table[column] if value is not None), None)
    kind = (
        "lists"
        if isinstance(sample, list | tuple)
        else "structs"
        if isinstance(sample, dict)
        else None
    )
    if kind:
        raise DataError(
            f"column '{printable(column, 40)}' holds {kind}; pick another with --{role}-column"
        )


def detect_columns(
    table: dict[str, list[Any]],
    text: str | None = None,
    label: str | None = None,
    group: str | None = None,
    need_label: bool = True,
) -> Columns:
    names = list(table)
    reasons: dict[str, str] = {}
    text_column, reasons["text"] = _pick("text", text, names, TEXT_NAMES)
    if text_column is None:
        lengths = {name: _mean_text_length(values) for name, values in table.items()}
        text_column = max(lengths, key=lengths.__getitem__) if lengths else None
        if text_column is None or lengths[text_column] == 0:
            raise DataError(
                f"no column holds text; the columns are {_listed(names)}; give --text-column"
            )
        reasons["text"] = f"longest strings on average ({lengths[text_column]:.0f} characters)"
    label_column, reasons["label"] = _pick("label", label, names, LABEL_NAMES)
    if label_column == text_column:
        label_column, reasons["label"] = None, "none found"
    if label_column is None and need_label:
        raise DataError(
            f"no label column among {_listed(names)} (known names: {', '.join(LABEL_NAMES)}); "
            "give --label-column"
        )
    group_column, reasons["group"] = _pick("group", group, names, GROUP_NAMES)
    for role, column in (("text", text_column), ("label", label_column), ("group", group_column)):
        _check_flat(table, column, role)
    return Columns(text_column, label_column, group_column, reasons)
