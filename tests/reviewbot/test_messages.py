from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from reviewbot.messages import Review, Source


def test_review_times_must_carry_a_time_zone():
    with pytest.raises(ValidationError, match="timezone"):
        Review(text="great", source=Source.API, received_at=datetime(2026, 11, 1, 12, 0))
    review = Review(text="great", source=Source.API, received_at=datetime(2026, 11, 1, tzinfo=UTC))
    assert Review.model_validate_json(review.model_dump_json()) == review
