"""Builders of reviews and verdicts for the storage tests."""

import uuid
from datetime import UTC, datetime

from reviewbot.messages import Label, Language, Prediction, Review, Source, Verdict

THRESHOLD = 0.48


def prediction(
    p: float,
    *,
    language: Language = Language.EN,
    version: str = "v1",
    threshold: float = THRESHOLD,
    threshold_scope: str = "overall",
) -> Prediction:
    label = Label.POSITIVE if p >= threshold else Label.NEGATIVE
    return Prediction(
        label=label,
        p_positive=p,
        threshold=threshold,
        threshold_scope=threshold_scope,
        language=language,
        n_tokens=12,
        truncated=False,
        model_version=version,
    )


def review(
    *,
    text: str = "a fine film",
    source: Source = Source.TELEGRAM,
    user: str = "u1",
    at: datetime | None = None,
) -> Review:
    return Review(
        id=uuid.uuid4().hex,
        text=text,
        source=source,
        chat_id="c1",
        user_id=user,
        received_at=at or datetime.now(UTC),
    )


def verdict(
    p: float | None = 0.7,
    *,
    error: str | None = None,
    language: Language = Language.EN,
    version: str = "v1",
    threshold: float = THRESHOLD,
    threshold_scope: str = "overall",
    **review_fields,
) -> Verdict:
    """A classified verdict with P(positive) = p, or a failed one when p is None."""
    r = review(**review_fields)
    if p is None:
        return Verdict(review=r, error=error or "empty review")
    return Verdict(
        review=r,
        prediction=prediction(
            p,
            language=language,
            version=version,
            threshold=threshold,
            threshold_scope=threshold_scope,
        ),
        latency_ms=4.0,
        batch_size=8,
    )
