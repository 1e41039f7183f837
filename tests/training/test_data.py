"""Reading labelled data: formats, column detection, label mappings, cleaning, counted drops."""

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv
import pyarrow.parquet
import pytest

from training import labels
from training.columns import detect_columns
from training.data import load_data, load_sources, read_table
from training.errors import DataError


def test_known_column_names_win_and_say_so() -> None:
    table = {
        "critic_name": ["a very long critic name that is longer than any review"] * 2,
        "review_content": ["good", "bad"],
        "review_type": ["Fresh", "Rotten"],
        "rotten_tomatoes_link": ["m/a", "m/b"],
    }
    columns = detect_columns(table)
    assert (columns.text, columns.label, columns.group) == (
        "review_content",
        "review_type",
        "rotten_tomatoes_link",
    )
    assert columns.reasons == {"text": "known name", "label": "known name", "group": "known name"}


def test_unknown_names_fall_back_to_the_longest_strings() -> None:
    table = {"a": ["x", "y"], "b": ["a long review text", "another long one"], "sentiment": [1, 0]}
    columns = detect_columns(table)
    assert columns.text == "b"
    assert "longest strings" in columns.reasons["text"]
    assert columns.group is None


def test_given_columns_are_used_and_checked() -> None:
    table = {"opinion": ["good", "bad"], "y": [1, 0], "film": ["a", "b"]}
    columns = detect_columns(table, text="opinion", label="y", group="film")
    assert (columns.text, columns.label, columns.group) == ("opinion", "y", "film")
    assert columns.reasons["label"] == "given"
    with pytest.raises(DataError, match="no label column 'nope'"):
        detect_columns(table, label="nope")


def test_missing_label_column_is_a_clear_error() -> None:
    with pytest.raises(DataError, match="--label-column"):
        detect_columns({"text": ["good"], "other": ["x"]})


@pytest.mark.parametrize(
    ("mapping", "raw", "expected"),
    [
        ("fresh-rotten", ["Fresh", "rotten", "FRESH ", "spoiled", None], [1, 0, 1, None, None]),
        ("stars", [1, 2, 3, 4, 5, "4", 2.5, "x"], [0, 0, None, 1, 1, 1, None, None]),
        ("pn", ["P", "N", "NEU", "NONE", "p"], [1, 0, None, None, 1]),
        (
            "binary",
            [1, 0, True, False, "true", "0", "positive", "neg", 2],
            [1, 0, 1, 0, 1, 0, 1, 0, None],
        ),
        (
            "score",
            [2.3, -0.6, 0.49, -0.49, 0.5, -0.5, float("nan"), "3.1"],
            [1, 0, None, None, 1, 0, None, 1],
        ),
    ],
)
def test_every_label_mapping(mapping: str, raw: list, expected: list) -> None:
    to_label = labels.mapper(mapping, dead_zone=0.5)
    assert [to_label(value) for value in raw] == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["Fresh", "Rotten"], "fresh-rotten"),
        (["P", "N", "NEU", "NONE"], "pn"),
        ([0, 1, 1], "binary"),
        ([True, False], "binary"),
        (["positive", "negative"], "binary"),
        ([1, 2, 3, 4, 5], "stars"),
        ([-1.2, 3.4, 0.1], "score"),
    ],
)
def test_mapping_is_detected_from_the_values(values: list, expected: str) -> None:
    assert labels.detect_mapping(values)[0] == expected


def test_undetectable_labels_ask_for_a_mapping() -> None:
    with pytest.raises(DataError, match="--label-mapping"):
        labels.detect_mapping(["great", "awful", "meh"])


def _write(path: Path, rows: list[dict]) -> Path:
    table = pa.Table.from_pylist(rows)
    name = path.name
    if name.endswith(".csv"):
        pyarrow.csv.write_csv(table, path)
    elif name.endswith(".tsv"):
        pyarrow.csv.write_csv(table, path, pyarrow.csv.WriteOptions(delimiter="\t"))
    elif name.endswith(".parquet"):
        pyarrow.parquet.write_table(table, path)
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


ROWS = [
    {"review": "A <i>great</i> film &amp; a moving story", "stars": 5, "movie_id": "m1"},
    {"review": "Boring,\nfar too long", "stars": 1, "movie_id": "m1"},
    {"review": "   ", "stars": 4, "movie_id": "m2"},  # empty after cleaning
    {"review": "It was fine I guess", "stars": 3, "movie_id": "m2"},  # neutral star
    {
        "review": "A great film & a moving story",
        "stars": 4,
        "movie_id": "m3",
    },  # duplicate after cleaning
    {"review": "Loved it", "stars": 4, "movie_id": "m3"},
]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_every_format_reads_cleans_and_counts_drops(tmp_path: Path, suffix: str) -> None:
    path = _write(tmp_path / f"reviews{suffix}", ROWS)
    examples, summary = load_data(path, tmp_path)
    assert summary.columns == {"text": "review", "label": "stars", "group": "movie_id"}
    assert summary.label_mapping == "stars"
    assert examples.texts == ["A great film & a moving story", "Boring, far too long", "Loved it"]
    assert examples.labels.tolist() == [1, 0, 1]
    assert examples.groups == ["m1", "m1", "m3"]
    assert summary.dropped == {"empty text": 1, "unusable label (stars)": 1, "duplicate text": 1}
    assert summary.rows_read == len(ROWS) == summary.rows_kept + sum(summary.dropped.values())
    assert (summary.positives, summary.negatives, summary.groups) == (2, 1, 2)


def test_unknown_format_and_missing_file_are_clear(tmp_path: Path) -> None:
    (tmp_path / "reviews.xlsx").write_text("x")
    with pytest.raises(DataError, match="unknown format"):
        read_table(tmp_path / "reviews.xlsx")
    with pytest.raises(DataError, match="does not exist"):
        read_table(tmp_path / "missing.csv")


def test_vader_movies_builtin(builtin_data) -> None:
    examples, summary = builtin_data("vader-movies")
    assert summary.rows_read == 10_605  # the published snippet count
    assert summary.label_mapping == "score"
    assert summary.rows_kept == len(examples) == summary.positives + summary.negatives
    assert summary.rows_read == summary.rows_kept + sum(summary.dropped.values())
    assert summary.dropped["unusable label (score)"] > 0  # the |score| < 0.5 dead zone
    assert 0.45 < summary.positives / summary.rows_kept < 0.55
    # Each kept snippet keeps its raters' mean score, on the side of its label.
    assert examples.scores is not None and len(examples.scores) == len(examples)
    assert ((examples.scores > 0) == (examples.labels == 1)).all()
    assert (np.abs(examples.scores) >= 0.5).all() and np.abs(examples.scores).max() < 4


def test_score_rows_keep_their_scores_through_joins_and_subsets(tmp_path: Path) -> None:
    scored = tmp_path / "scored.csv"
    pyarrow.csv.write_csv(
        pa.table(
            {
                "text": ["loved it", "meh", "hated it", "loved it", "fine fun"],
                "score": [2.5, 0.1, -1.5, 3.0, 0.8],
            }
        ),
        scored,
    )
    binary = tmp_path / "binary.csv"
    pyarrow.csv.write_csv(pa.table({"text": ["una joya", "hated it"], "label": [1, 0]}), binary)
    alone, _ = load_data(scored, tmp_path)
    # "meh" is in the dead zone and the second "loved it" a duplicate: dropped with their scores.
    assert alone.texts == ["loved it", "hated it", "fine fun"]
    assert alone.scores.tolist() == [2.5, -1.5, 0.8]
    joined, _ = load_sources([str(scored), str(binary)], tmp_path)
    assert joined.texts == ["loved it", "hated it", "fine fun", "una joya"]
    assert joined.scores[:3].tolist() == [2.5, -1.5, 0.8] and np.isnan(joined.scores[3])
    assert joined.subset(np.array([3, 0, 0])).scores[1:].tolist() == [2.5, 2.5]
    assert load_sources([str(binary)], tmp_path)[0].scores is None


def test_soft_targets_follow_the_score_and_leave_other_rows_at_their_label() -> None:
    targets = labels.soft_targets(
        np.array([1, 0, 1, 1]), np.array([0.6, -3.0, np.nan, 3.0]), slope=1.2
    )
    assert targets[0] == pytest.approx(1 / (1 + np.exp(-0.72)))  # mildly positive: ~0.67
    assert targets[1] == pytest.approx(1 / (1 + np.exp(3.6)))  # clearly negative: ~0.03
    assert targets[2] == 1.0  # no score: its 0/1 label
    assert targets[0] < targets[3] < 1
    hard = labels.soft_targets(np.array([1, 0]), np.array([0.6, -3.0]), slope=0)
    assert hard.tolist() == [1.0, 0.0]


def test_evomsa_es_builtin_keeps_only_p_and_n(builtin_data) -> None:
    examples, summary = builtin_data("evomsa-es")
    assert summary.rows_read == 1_000
    assert summary.label_mapping == "pn"
    assert summary.dropped["unusable label (pn)"] > 0  # NEU and NONE
    assert set(examples.labels.tolist()) == {0, 1}


# -- hostile files ------------------------------------------------------------------------------


def _rows(n: int) -> list[str]:
    return [f"review number {i} of a film I {'liked' if i % 2 else 'hated'}" for i in range(n)]


@pytest.mark.parametrize(
    ("column", "values", "flag"),
    [
        ("label", [[1], [0]], "--label-column"),
        ("text", [{"title": "a", "body": "good"}, {"title": "b", "body": "bad"}], "--text-column"),
    ],
)
def test_nested_parquet_columns_ask_for_another_column(tmp_path, column, values, flag) -> None:
    table = {"text": ["a good film", "a bad film"], "label": [1, 0], "other": ["x", "y"]}
    table[column] = values
    path = tmp_path / "nested.parquet"
    pyarrow.parquet.write_table(pa.Table.from_pydict(table), path)
    with pytest.raises(DataError) as caught:
        load_data(path, tmp_path)
    kind = "lists" if isinstance(values[0], list) else "structs"
    assert f"column {column!r} holds {kind}; pick another with {flag}" in str(caught.value)


def test_a_latin1_line_in_a_utf8_csv_is_read_and_counted(tmp_path) -> None:
    texts = _rows(70)
    lines = ["text,label"] + [f"{t},{i % 2}" for i, t in enumerate(texts)]
    encoded = [line.encode() for line in lines]
    for i in range(1, len(encoded), 7):  # one line in seven written by a latin-1 tool
        encoded[i] = f"une critique très réussie {i},1".encode("latin-1")
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"\n".join(encoded) + b"\n")
    examples, summary = load_data(path, tmp_path)
    assert summary.rows_read == 70 and summary.rows_kept == 70
    assert summary.not_utf8_rows == 10
    assert "une critique très réussie 1" in examples.texts  # decoded as Windows-1252
    assert "review number 2 of a film I hated" in examples.texts


def test_binary_files_and_escape_codes_are_never_echoed(tmp_path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(DataError) as caught:
        load_data(path, tmp_path)
    message = str(caught.value)
    assert all(c.isprintable() for c in message), message
    assert len(message) < 400

    path = tmp_path / "escapes.csv"
    path.write_text('text,label\n"\x1b[31mred\x1b]0;title\x07",1,extra,cells\n')
    with pytest.raises(DataError) as caught:
        load_data(path, tmp_path)
    message = str(caught.value)
    assert "\x1b" not in message and "\x07" not in message and "\\x1b" in message, message


def test_escape_codes_in_column_names_are_escaped(tmp_path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("\x1b[2Jtext,label\ngood,1\n")
    with pytest.raises(DataError) as caught:
        load_data(path, tmp_path, text_column="nope")
    assert "\x1b" not in str(caught.value) and "\\x1b" in str(caught.value)


def test_a_line_too_long_to_read_names_what_the_user_can_do(tmp_path) -> None:
    path = tmp_path / "long.csv"
    with path.open("w") as handle:
        handle.write('text,label\n"' + "x" * (3 << 20))  # an unclosed quote swallows the file
    from training import data

    with pytest.raises(DataError) as caught:
        data.read_table(path, block_size=1 << 20)
    message = str(caught.value)
    assert "block size" not in message
    assert "longer than 1 MB" in message and "quote" in message, message
