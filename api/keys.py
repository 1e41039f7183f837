"""API keys: made here, stored by storage as SHA-256 hashes, checked on every request.

A key is "rb_" + 43 URL-safe characters (32 random bytes). With that much entropy a plain
SHA-256 is as safe as a slow password hash and costs microseconds per request. The key itself
is shown once, by `reviewbot api-keys create`, and never logged: logs name a key by its id.
"""

import asyncio
import hashlib
import secrets
import time
from dataclasses import dataclass

from reviewbot.messages import ApiKey

KEY_PREFIX = "rb_"
#: Characters of a key shown by `api-keys list` (enough to recognise it, useless to guess it).
SHOWN_CHARS = len(KEY_PREFIX) + 6


@dataclass(frozen=True)
class NewKey:
    id: str
    secret: str
    key_hash: str
    prefix: str


def new_key() -> NewKey:
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    return NewKey(
        id=secrets.token_hex(4),
        secret=secret,
        key_hash=hash_key(secret),
        prefix=secret[:SHOWN_CHARS],
    )


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


class KeyCache:
    """Looks keys up in the store (in a thread: the Store is synchronous), remembering each
    answer for `ttl_s` so that a busy client costs one query per `ttl_s`, not per request."""

    def __init__(self, store, ttl_s: float) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self._known: dict[str, tuple[float, ApiKey | None]] = {}

    async def lookup(self, secret: str) -> ApiKey | None:
        """The active key `secret` is, or None (unknown or revoked). StoreUnavailable passes."""
        key_hash = hash_key(secret)
        now = time.monotonic()
        cached = self._known.get(key_hash)
        if cached is not None and now - cached[0] < self.ttl_s:
            return cached[1]
        key = await asyncio.to_thread(self.store.api_key_by_hash, key_hash)
        if key is not None and not key.active:
            key = None
        if len(self._known) > 10_000:  # a client trying random keys must not fill the memory
            self._known.clear()
        self._known[key_hash] = (now, key)
        return key
