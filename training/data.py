"""Labelled reviews in: a file (CSV, TSV, JSONL, Parquet) or a built-in dataset by name, or
several of them at once (say English and Spanish reviews), cleaned as the seed did, with every
dropped row counted by reason."""

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from model.text import clean
from reviewbot.excerpts import printable
from training import builtin, labels
from training.columns import detect_columns
from training.errors import DataError

_COMPRESSION = (".gz", ".bz2", ".zst", ".lz4")


@dataclass(frozen=True)
class Examples:
    texts: list[str]
    #: 1 positive, 0 negative.
    labels: np.ndarray
    #: The group (movie) of each row, when the data has one.
    groups: list[str] | None = None
    #: Which of several sources each row came from (None: one source). Splits keep each
    #: source's share in train, validation and test.
    sources: list[str] | None = None
    #: The raw score of each row labelled by the `score` mapping (NaN for rows of other
    #: mappings; None when there is none): what `score_target_slope` softens targets with.
    scores: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: np.ndarray) -> "Examples":
        return Examples(
            texts=[self.texts[i] for i in index],
            labels=self.labels[index],
            groups=None if self.groups is None else [self.groups[i] for i in index],
            sources=None if self.sources is None else [self.sources[i] for i in index],
            scores=None if self.scores is None else self.scores[index],
        )


class DataSummary(BaseModel):
    source: str
    columns: dict[str, str | None]
    #: Why each column was chosen.
    reasons: dict[str, str]
    label_mapping: str
    label_mapping_reason: str
    rows_read: int
    rows_kept: int
    dropped: dict[str, int]
    positives: int
    negatives: int
    groups: int | None
    #: Rows that were not UTF-8, read as Windows-1252 (a file edited with mixed tools).
    not_utf8_rows: int = 0
    #: Several sources: each one's own summary (the fields above are their sum).
    parts: list["DataSummary"] | None = None


#: Bytes pyarrow reads per block: a row (a review, or a whole file after an unclosed quote)
#: must fit in one. pyarrow's default, 1 MB, would refuse long but real reviews.
BLOCK_SIZE = 16 << 20


def read_table(path: Path, block_size: int = BLOCK_SIZE) -> dict[str, list[Any]]:
    """A file's columns as Python lists, the format chosen by the file's extension."""
    return _read_table(path, block_size)[0]


def _read_table(path: Path, block_size: int = BLOCK_SIZE) -> tuple[dict[str, list[Any]], int]:
    """The columns, and how many rows were not UTF-8 (read as Windows-1252 instead)."""
    import pyarrow as pa
    import pyarrow.csv
    import pyarrow.json
    import pyarrow.parquet

    shown = printable(str(path))
    if not path.is_file():
        raise DataError(
            f"{shown} does not exist (or give a built-in dataset: {', '.join(builtin.BUILTINS)})"
        )
    name = path.name.lower()
    for suffix in _COMPRESSION:
        name = name.removesuffix(suffix)
    try:
        if name.endswith((".parquet", ".pq")):
            table = pyarrow.parquet.read_table(path)
        elif name.endswith((".jsonl", ".ndjson")):
            table = pyarrow.json.read_json(
                path, read_options=pyarrow.json.ReadOptions(block_size=block_size)
            )
        elif name.endswith(".json"):
            records = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(records, list):
                raise DataError(
                    f"{shown}: a .json file must hold a list of records (or use .jsonl)"
                )
            table = pa.Table.from_pylist(records)
        elif name.endswith((".csv", ".tsv", ".tab", ".txt")):
            delimiter = "," if name.endswith(".csv") else "\t"
            table = pyarrow.csv.read_csv(
                path,
                read_options=pyarrow.csv.ReadOptions(block_size=block_size),
                parse_options=pyarrow.csv.ParseOptions(
                    delimiter=delimiter, newlines_in_values=True
                ),
            )
        else:
            raise DataError(f"{shown}: unknown format; use .csv, .tsv, .jsonl or .parquet")
    except (pa.ArrowInvalid, UnicodeDecodeError, json.JSONDecodeError) as exc:
        if "straddling" in str(exc) or "block size" in str(exc):
            raise DataError(
                f'{shown}: a row is longer than {block_size >> 20} MB; an unclosed quote (") '
                "makes the rest of the file one value: check the file's quoting"
            ) from exc
        raise DataError(f"{shown} could not be read: {printable(str(exc), 200)}") from exc
    columns: dict[str, list[Any]] = {}
    not_utf8: set[int] = set()
    for column in table.column_names:
        values = table.column(column).to_pylist()
        if pa.types.is_binary(table.column(column).type) or pa.types.is_large_binary(
            table.column(column).type
        ):
            values = _decoded(values, not_utf8)
        columns[column] = values
    return columns, len(not_utf8)


def _decoded(values: list[Any], not_utf8: set[int]) -> list[Any]:
    """A column pyarrow left as bytes because some rows are not UTF-8: UTF-8 where it is, else
    Windows-1252 (what a spreadsheet on Windows writes; every byte decodes), noting the rows."""
    decoded = []
    for row, value in enumerate(values):
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError:
                value = value.decode("cp1252", "replace")
                not_utf8.add(row)
        decoded.append(value)
    return decoded


def load_data(
    source: str | Path,
    cache: Path,
    text_column: str | None = None,
    label_column: str | None = None,
    group_column: str | None = None,
    label_mapping: str = "auto",
    dead_zone: float = 0.5,
) -> tuple[Examples, DataSummary]:
    """Read, map labels, clean and deduplicate; the summary counts every dropped row by reason."""
    not_utf8_rows = 0
    if str(source) in builtin.BUILTINS:
        rows = builtin.read_builtin(str(source), cache)
        table = {key: [row.get(key) for row in rows] for key in rows[0]}
        if label_mapping == "auto":
            label_mapping = builtin.BUILTINS[str(source)].mapping
            mapping_reason = f"the {source} dataset's labels"
        else:
            mapping_reason = "given"
    else:
        table, not_utf8_rows = _read_table(Path(source))
        mapping_reason = "given"
    if not table or not next(iter(table.values())):
        raise DataError(f"{printable(str(source))} holds no rows")
    columns = detect_columns(table, text_column, label_column, group_column)
    raw_labels = table[columns.label]
    if label_mapping == "auto":
        label_mapping, mapping_reason = labels.detect_mapping(raw_labels)
    to_label = labels.mapper(label_mapping, dead_zone)
    raw_groups = table[columns.group] if columns.group else None

    dropped: Counter[str] = Counter()
    seen: set[str] = set()
    texts, kept_labels, groups, scores = [], [], [], []
    for i, (raw_text, raw_label) in enumerate(zip(table[columns.text], raw_labels, strict=True)):
        text = clean(raw_text)
        label = to_label(raw_label)
        if not text:
            dropped["empty text"] += 1
        elif label is None:
            dropped[f"unusable label ({label_mapping})"] += 1
        elif text in seen:
            # The same text twice could land in train and test and flatter the test score.
            dropped["duplicate text"] += 1
        else:
            seen.add(text)
            texts.append(text)
            kept_labels.append(label)
            if label_mapping == "score":
                scores.append(float(raw_label))
            if raw_groups is not None:
                groups.append("" if raw_groups[i] is None else str(raw_groups[i]))
    if not texts:
        raise DataError(f"{printable(str(source))}: no usable rows left ({dict(dropped)})")
    examples = Examples(
        texts,
        np.asarray(kept_labels, dtype=np.int64),
        groups if raw_groups else None,
        scores=np.asarray(scores, dtype=np.float64) if scores else None,
    )
    positives = int(examples.labels.sum())
    summary = DataSummary(
        source=str(source),
        columns={"text": columns.text, "label": columns.label, "group": columns.group},
        reasons=columns.reasons,
        label_mapping=label_mapping,
        label_mapping_reason=mapping_reason,
        rows_read=len(raw_labels),
        rows_kept=len(examples),
        dropped=dict(dropped),
        positives=positives,
        negatives=len(examples) - positives,
        groups=len(set(groups)) if raw_groups else None,
        not_utf8_rows=not_utf8_rows,
    )
    return examples, summary


def load_sources(
    sources: list[str],
    cache: Path,
    text_column: str | None = None,
    label_column: str | None = None,
    group_column: str | None = None,
    label_mapping: str = "auto",
    dead_zone: float = 0.5,
) -> tuple[Examples, DataSummary]:
    """One source as `load_data`; several read one by one (columns and labels detected for each)
    and joined. A text already in an earlier source is dropped as a duplicate. Groups are kept
    per source (prefixed with its name); rows of a source without groups are each their own."""
    if len(sources) == 1:
        return load_data(
            sources[0], cache, text_column, label_column, group_column, label_mapping, dead_zone
        )
    if not sources:
        raise DataError("no data given")
    parts = [
        load_data(s, cache, text_column, label_column, group_column, label_mapping, dead_zone)
        for s in sources
    ]
    any_groups = any(examples.groups is not None for examples, _ in parts)
    seen: set[str] = set()
    texts: list[str] = []
    kept_labels: list[int] = []
    scores: list[float] = []
    groups: list[str] = []
    names: list[str] = []
    summaries = []
    for source, (examples, summary) in zip(sources, parts, strict=True):
        duplicates = 0
        for i, text in enumerate(examples.texts):
            if text in seen:
                duplicates += 1
                continue
            seen.add(text)
            texts.append(text)
            kept_labels.append(int(examples.labels[i]))
            scores.append(math.nan if examples.scores is None else float(examples.scores[i]))
            names.append(source)
            group = examples.groups[i] if examples.groups is not None else f"row {i}"
            groups.append(f"{source}:{group}")
        if duplicates:
            dropped = dict(summary.dropped)
            dropped["duplicate text"] = dropped.get("duplicate text", 0) + duplicates
            summary = summary.model_copy(
                update={"dropped": dropped, "rows_kept": summary.rows_kept - duplicates}
            )
        summaries.append(summary)
    labels_array = np.asarray(kept_labels, dtype=np.int64)
    dropped_total: Counter[str] = Counter()
    for summary in summaries:
        dropped_total.update(summary.dropped)
    positives = int(labels_array.sum())
    first = summaries[0]
    combined = DataSummary(
        source=" + ".join(sources),
        columns=first.columns,
        reasons=first.reasons,
        label_mapping="per source",
        label_mapping_reason=", ".join(f"{s.source}: {s.label_mapping}" for s in summaries),
        rows_read=sum(s.rows_read for s in summaries),
        rows_kept=len(texts),
        dropped=dict(dropped_total),
        positives=positives,
        negatives=len(texts) - positives,
        groups=len(set(groups)) if any_groups else None,
        not_utf8_rows=sum(s.not_utf8_rows for s in summaries),
        parts=summaries,
    )
    any_scores = any(examples.scores is not None for examples, _ in parts)
    examples = Examples(
        texts,
        labels_array,
        groups if any_groups else None,
        names,
        np.asarray(scores, dtype=np.float64) if any_scores else None,
    )
    return examples, combined
