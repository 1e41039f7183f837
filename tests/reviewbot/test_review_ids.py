"""Review ids are UUIDv7s: unique, and in the order they were made (the history's indexes on
them then grow at one end, docs/storage.md)."""

import time
import uuid

from reviewbot.messages import Review, Source, new_review_id


def test_review_ids_are_uuid7_that_sort_in_the_order_they_were_made():
    earlier = [new_review_id() for _ in range(1000)]
    time.sleep(0.003)  # the order is by millisecond: ids of one millisecond are in any order
    later = new_review_id()
    assert all(len(i) == 32 and uuid.UUID(hex=i).version == 7 for i in [*earlier, later])
    assert max(earlier) < later
    made_ms = int(later[:12], 16)
    assert abs(made_ms - time.time() * 1000) < 60_000
    assert len(set(earlier)) == len(earlier)


def test_reviews_get_one_by_default():
    assert uuid.UUID(hex=Review(text="great", source=Source.API).id).version == 7
