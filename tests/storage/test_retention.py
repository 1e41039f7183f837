"""Retention erases the personal part of old reviews and keeps their scores."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.retention import prune
from storage.schema import PredictionRow, ReviewRow
from tests.storage.history import verdict


def test_prune_erases_text_and_ids_of_old_reviews_only(store):
    now = datetime.now(UTC)
    old, recent = (
        verdict(0.9, at=now - timedelta(days=40)),
        verdict(0.2, at=now - timedelta(days=5)),
    )
    store.save_verdicts([old, recent])

    assert prune(30, store=store) == 1
    assert prune(30, store=store) == 0  # already pruned

    with store.session() as session:
        old_row, recent_row = (
            session.get(ReviewRow, old.review.id),
            session.get(ReviewRow, recent.review.id),
        )
        scores = set(session.scalars(select(PredictionRow.review_id)))
    assert (old_row.text, old_row.user_id, old_row.chat_id) == (None, None, None)
    assert old_row.text_chars == len(old.review.text)  # kept for drift history
    assert (recent_row.text, recent_row.user_id) == (recent.review.text, recent.review.user_id)
    assert scores == {old.review.id, recent.review.id}
    assert [r.id for r in store.reviews_since(now - timedelta(days=60))] == [recent.review.id]


def test_retention_setting_zero_keeps_everything(store, monkeypatch):
    store.save_verdicts([verdict(at=datetime.now(UTC) - timedelta(days=4000))])
    monkeypatch.setenv("REVIEWBOT_STORAGE_RETENTION_DAYS", "0")
    assert prune(store=store) == 0
    monkeypatch.setenv("REVIEWBOT_STORAGE_RETENTION_DAYS", "3650")
    assert prune(store=store) == 1
