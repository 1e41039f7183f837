"""Feedback becomes training data that the training package reads as it is."""

import csv
import json

import pytest

from reviewbot.messages import Label, Language
from storage.feedback_export import export_feedback
from tests.storage.history import verdict


@pytest.fixture
def judged(store):
    """Reviews with feedback: a correction, an agreement, a split vote, a majority, none."""
    corrected = verdict(0.9, text="Lo peor que he visto, un desastre.", language=Language.ES)
    agreed = verdict(0.1, text="Dull, and far too long.")
    split = verdict(0.7, text="Hard to say.")
    majority = verdict(0.3, text="Quietly wonderful.")
    unjudged = verdict(0.5, text="No one said anything.")
    store.save_verdicts([corrected, agreed, split, majority, unjudged])
    store.add_feedback(corrected.review.id, "a", Label.NEGATIVE)
    store.add_feedback(agreed.review.id, "a", Label.NEGATIVE)
    store.add_feedback(split.review.id, "a", Label.NEGATIVE)
    store.add_feedback(split.review.id, "b", Label.POSITIVE)
    for user, label in (("a", Label.POSITIVE), ("b", Label.POSITIVE), ("c", Label.NEGATIVE)):
        store.add_feedback(majority.review.id, user, label)
    return store, {"corrected": corrected, "agreed": agreed, "majority": majority}


def test_csv_has_text_label_language_by_majority_of_feedback(judged, tmp_path):
    store, reviews = judged
    summary = export_feedback(store, tmp_path / "feedback.csv")
    with (tmp_path / "feedback.csv").open(newline="") as file:
        rows = {row["review_id"]: row for row in csv.DictReader(file)}
    assert (summary.written, summary.conflicting) == (3, 1)
    assert {(r["text"], r["label"], r["language"]) for r in rows.values()} == {
        (reviews["corrected"].review.text, "0", "es"),
        (reviews["agreed"].review.text, "0", "en"),
        (reviews["majority"].review.text, "1", "en"),
    }


def test_jsonl_with_corrections_only(judged, tmp_path):
    store, reviews = judged
    export_feedback(store, tmp_path / "feedback.jsonl", corrections_only=True)
    rows = [json.loads(line) for line in (tmp_path / "feedback.jsonl").read_text().splitlines()]
    assert sorted(r["review_id"] for r in rows) == sorted(
        [reviews["corrected"].review.id, reviews["majority"].review.id]
    )
    assert all(r["label"] == int(r["model_label"] == "negative") for r in rows)


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_training_reads_the_export_directly(judged, tmp_path):
    from training.data import load_data

    store, _ = judged
    export_feedback(store, tmp_path / "feedback.csv")
    examples, summary = load_data(tmp_path / "feedback.csv", cache=tmp_path)
    assert (summary.columns["text"], summary.columns["label"]) == ("text", "label")
    assert sorted(examples.labels.tolist()) == [0, 0, 1]


@pytest.mark.parametrize("empty_database_url", ["sqlite"], indirect=True)
def test_an_unknown_format_is_refused_before_writing(store, tmp_path):
    with pytest.raises(ValueError, match=".csv or .jsonl"):
        export_feedback(store, tmp_path / "feedback.xlsx")
    assert not (tmp_path / "feedback.xlsx").exists()
