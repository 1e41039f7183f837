"""The API's review ids: a UUIDv7 behind its prefix, or a client's own id hashed per key."""

import uuid

from api.reviews import ID_PREFIX, review_id


def test_fresh_ids_are_prefixed_uuid7_and_client_ids_map_to_one_id_per_key():
    fresh = review_id("key-1", None)
    assert fresh.startswith(ID_PREFIX) and uuid.UUID(hex=fresh[len(ID_PREFIX) :]).version == 7
    assert review_id("key-1", "order-7") == review_id("key-1", "order-7")
    assert review_id("key-1", "order-7") != review_id("key-2", "order-7")
