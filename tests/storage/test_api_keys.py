"""API keys in the store: only hashes kept, listed without secrets, revoked by id or prefix."""

import pytest


def test_a_key_is_found_by_its_hash_until_it_is_revoked(store):
    created = store.add_api_key("k1", "ci", "a" * 64, "rb_abc123", rate_limit=5)
    assert created.active and created.rate_limit == 5
    assert store.api_key_by_hash("a" * 64).id == "k1"
    assert store.api_key_by_hash("b" * 64) is None
    assert [key.id for key in store.api_keys()] == ["k1"]

    assert store.revoke_api_key("rb_abc123")
    assert not store.api_key_by_hash("a" * 64).active
    assert store.api_keys() == []
    assert [key.id for key in store.api_keys(include_revoked=True)] == ["k1"]
    assert not store.revoke_api_key("k1")  # already revoked


def test_revoking_by_a_prefix_two_keys_share_is_refused(store):
    store.add_api_key("k1", "one", "a" * 64, "rb_same00")
    store.add_api_key("k2", "two", "b" * 64, "rb_same00")
    with pytest.raises(ValueError, match="matches 2 keys"):
        store.revoke_api_key("rb_same00")
    assert store.revoke_api_key("k2")
    assert [key.id for key in store.api_keys()] == ["k1"]
