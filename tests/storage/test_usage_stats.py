"""The admins' figures (/stats of the bots) from the history, on SQLite and Postgres."""

from datetime import UTC, datetime, timedelta

from reviewbot.messages import Prediction, Review, Source, Verdict


def verdict(label: str, received: datetime, wait_s: float | None, version: str = "v2") -> Verdict:
    review = Review(text="t", source=Source.TELEGRAM, user_id="u", received_at=received)
    prediction = Prediction(
        label=label,
        p_positive=0.9 if label == "positive" else 0.1,
        threshold=0.48,
        language="en",
        n_tokens=3,
        truncated=False,
        model_version=version,
    )
    return Verdict(review=review, prediction=prediction, classified_at=received), wait_s


def test_usage_stats_count_today_and_the_week_with_rate_median_and_model(store):
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    rows = [
        verdict("positive", now - timedelta(hours=1), 1.0),
        verdict("negative", now - timedelta(hours=2), 3.0),
        verdict("positive", now - timedelta(days=2), 2.0),
        verdict("positive", now - timedelta(days=3), None),  # never answered
        verdict("negative", now - timedelta(days=9), 9.0, "v1"),  # older than a week
    ]
    store.save_verdicts([v for v, _ in rows])
    for v, wait_s in rows:
        if wait_s is not None:
            store.mark_replied([v.review.id], at=v.review.received_at + timedelta(seconds=wait_s))
    stats = store.usage_stats(now)
    assert (stats.reviews_today, stats.reviews_7d) == (2, 4)
    assert stats.positive_rate_7d == 0.75
    assert stats.p50_answer_s == 2.0
    assert (stats.model_version, stats.threshold) == ("v2", 0.48)


def test_usage_stats_of_an_empty_history(store):
    stats = store.usage_stats()
    assert (stats.reviews_today, stats.reviews_7d) == (0, 0)
    assert stats.positive_rate_7d is stats.p50_answer_s is stats.model_version is None
