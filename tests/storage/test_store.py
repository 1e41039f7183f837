"""The worker's writes: one transaction per batch, idempotent by review id."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from reviewbot.messages import Label, Language, Source, Verdict
from storage import store as store_module
from storage.schema import FeedbackRow, ModelVersion, PredictionRow, ReviewRow
from tests.storage.history import prediction, verdict


def count(store, table) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(table))


def test_a_redelivered_batch_creates_no_second_row(store):
    batch = [verdict(0.9), verdict(0.1), verdict(None, error="empty review")]
    store.save_verdicts(batch)
    store.save_verdicts(batch)  # the worker died before acking: the same batch again
    store.save_verdicts([batch[0], batch[0]])  # and a review twice inside one batch

    assert count(store, ReviewRow) == 3
    assert count(store, PredictionRow) == 2
    with store.session() as session:
        failed = session.get(ReviewRow, batch[2].review.id)
        stored = session.get(PredictionRow, (batch[0].review.id, "v1"))
    assert failed.error == "empty review" and failed.language is None
    assert (stored.p_positive, stored.label, stored.served, stored.batch_size) == (
        0.9,
        Label.POSITIVE,
        True,
        8,
    )
    assert stored.created_at == batch[0].classified_at


def test_a_failed_review_takes_the_outcome_of_its_successful_retry(store):
    failed = verdict(None, error="model crashed")
    store.save_verdicts([failed])
    retried = Verdict(review=failed.review, prediction=prediction(0.2, language=Language.ES))
    store.save_verdicts([retried])
    store.save_verdicts([failed])  # a late duplicate of the failure changes nothing now

    with store.session() as session:
        row = session.get(ReviewRow, failed.review.id)
    assert (row.error, row.language) == (None, Language.ES)
    assert count(store, PredictionRow) == 1


def test_a_review_keeps_its_first_served_answer_when_a_newer_model_scores_a_redelivery(store):
    first = verdict(0.9, version="v1")
    store.save_verdicts([first])
    store.save_verdicts([Verdict(review=first.review, prediction=prediction(0.1, version="v2"))])
    with store.session() as session:
        served = session.scalars(select(PredictionRow).where(PredictionRow.served)).all()
    assert [(p.model_version, p.p_positive) for p in served] == [("v1", 0.9)]


def test_mark_replied_keeps_the_first_reply_time(store):
    v = verdict()
    store.save_verdicts([v])
    first = datetime(2026, 11, 20, 12, tzinfo=UTC)
    store.mark_replied([v.review.id], at=first)
    store.mark_replied([v.review.id], at=first + timedelta(minutes=5))
    store.mark_replied(["not-stored"])  # a reply for a review that was never stored is no error
    with store.session() as session:
        assert session.get(ReviewRow, v.review.id).replied_at == first


def test_register_model_is_idempotent_and_fills_in_a_version_first_seen_in_a_prediction(store):
    store.save_verdicts([verdict(version="v7")])
    for _ in range(2):
        store.register_model("v7", "/checkpoints/v7", 0.48, {"f1": 0.88})
    with store.session() as session:
        model = session.get(ModelVersion, "v7")
    assert (model.path, model.threshold, model.metrics) == ("/checkpoints/v7", 0.48, {"f1": 0.88})
    assert count(store, ModelVersion) == 1


def test_save_predictions_adds_another_version_once_and_not_as_served(store):
    v = verdict(0.9, version="v1")
    store.save_verdicts([v])
    pairs = [(v.review.id, prediction(0.3, version="v2"))]
    store.save_predictions(pairs)
    store.save_predictions(pairs)
    with store.session() as session:
        rows = session.scalars(select(PredictionRow).order_by(PredictionRow.model_version)).all()
    assert [(r.model_version, r.served, r.latency_ms) for r in rows] == [
        ("v1", True, 4.0),
        ("v2", False, None),
    ]


def test_reviews_since_pages_through_a_window_oldest_first(store, monkeypatch):
    monkeypatch.setattr(store_module, "PAGE_SIZE", 2)  # several pages from a handful of rows
    start = datetime(2026, 11, 1, tzinfo=UTC)
    batch = [verdict(at=start + timedelta(hours=h)) for h in (5, 0, 3, 1, 4, 2)]
    same_time = [verdict(at=start + timedelta(hours=2)) for _ in range(3)]
    store.save_verdicts(batch + same_time)

    since, until = start + timedelta(hours=1), start + timedelta(hours=5)
    got = list(store.reviews_since(since, until=until))
    expected = sorted(
        (v.review for v in batch + same_time if since <= v.review.received_at < until),
        key=lambda r: (r.received_at, r.id),
    )
    assert len(expected) == 7
    assert [r.id for r in got] == [r.id for r in expected]
    assert got[0] == expected[0]  # the Review comes back as it went in
    assert len(list(store.reviews_since(start))) == len(batch) + len(same_time)


def test_feedback_is_one_answer_per_person_and_needs_a_stored_review(store):
    v = verdict(0.9)
    store.save_verdicts([v])
    store.add_feedback(v.review.id, "u2", Label.NEGATIVE)
    store.add_feedback(v.review.id, "u2", Label.POSITIVE)  # changed their mind
    with store.session() as session:
        rows = session.scalars(select(FeedbackRow)).all()
    assert [(f.user_id, f.label) for f in rows] == [("u2", Label.POSITIVE)]
    with pytest.raises(KeyError, match="no stored review"):
        store.add_feedback("missing", "u2", Label.POSITIVE)


def test_forget_deletes_everything_of_one_user_and_nothing_of_others(store):
    mine = [verdict(0.9, user="42"), verdict(None, user="42")]
    same_id_other_platform = verdict(0.2, user="42", source=Source.DISCORD)
    others = [verdict(0.4, user="7"), same_id_other_platform]
    store.save_verdicts(mine + others)
    store.save_predictions([(mine[0].review.id, prediction(0.5, version="v2"))])
    store.add_feedback(mine[0].review.id, "7", Label.NEGATIVE)  # someone on my review
    store.add_feedback(others[0].review.id, "42", Label.NEGATIVE)  # me on someone's review
    store.add_feedback(others[0].review.id, "8", Label.POSITIVE)
    store.add_feedback(
        same_id_other_platform.review.id, "42", Label.POSITIVE
    )  # another platform's "42"

    assert store.forget_user(Source.TELEGRAM, "42") == 2

    with store.session() as session:
        reviews = set(session.scalars(select(ReviewRow.id)))
        predictions = set(session.scalars(select(PredictionRow.review_id)))
        feedback = {
            tuple(row)
            for row in session.execute(select(FeedbackRow.review_id, FeedbackRow.user_id))
        }
    assert reviews == {v.review.id for v in others}
    assert predictions == {v.review.id for v in others}
    assert feedback == {(others[0].review.id, "8"), (same_id_other_platform.review.id, "42")}
    assert store.forget_user(Source.TELEGRAM, "42") == 0


def test_hostile_text_and_long_ids_are_stored_not_failed(store):
    hostile = verdict(0.5, text="nul \x00 and a lone surrogate \ud800 <b>html</b>", user="x" * 300)
    store.save_verdicts([hostile])
    with store.session() as session:
        row = session.get(ReviewRow, hostile.review.id)
    assert row.text == "nul \N{REPLACEMENT CHARACTER} and a lone surrogate ? <b>html</b>"
    assert row.user_id == "x" * 300 and row.text_chars == len(hostile.review.text)


def test_hostile_ids_and_errors_are_stored_not_failed(store):
    """Front-ends pass platform ids through; one with a NUL must not fail its batch forever."""
    hostile = verdict(0.5, user="u\x00ser")
    hostile = hostile.model_copy(
        update={"review": hostile.review.model_copy(update={"id": "i\x00d"})}
    )
    failed = Verdict(
        review=hostile.review.model_copy(update={"id": "other"}), error="bad \x00 byte"
    )
    store.save_verdicts([hostile, failed])
    with store.session() as session:
        stored_id = "i\N{REPLACEMENT CHARACTER}d"
        assert session.get(ReviewRow, stored_id).user_id == "u\N{REPLACEMENT CHARACTER}ser"
        assert session.scalars(select(PredictionRow.review_id)).all() == [stored_id]
        assert session.get(ReviewRow, "other").error == "bad \N{REPLACEMENT CHARACTER} byte"


def test_opting_out_and_in_is_remembered_per_platform(store):
    assert not store.is_opted_out(Source.TELEGRAM, "42")
    store.set_opted_out(Source.TELEGRAM, "42", True)
    store.set_opted_out(Source.TELEGRAM, "42", True)  # twice is fine
    assert store.is_opted_out(Source.TELEGRAM, "42")
    assert not store.is_opted_out(Source.DISCORD, "42")
    store.set_opted_out(Source.TELEGRAM, "42", False)
    assert not store.is_opted_out(Source.TELEGRAM, "42")


def test_feedback_taken_back_is_removed(store):
    stored = verdict(0.8, user="7")
    store.save_verdicts([stored])
    store.add_feedback(stored.review.id, "9", Label.NEGATIVE)
    assert store.remove_feedback(stored.review.id, "9")
    assert not store.remove_feedback(stored.review.id, "9")
    assert count(store, FeedbackRow) == 0
