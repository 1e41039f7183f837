"""/forget everywhere ReviewBot keeps a person's words: the history database (storage) and Redis.

Redis holds a review's text, after its answer, in
- its result key (`reviewbot:result:<id>`, the Verdict JSON with the Review) and done key, for
  result_ttl_s;
- the reply stream its front-end reads (`Review.reply_to`): a front-end's ReplyConsumer deletes
  an entry once delivered, so what is left there is undelivered;
- the dead-letter streams (the worker's and the front-ends'), which keep the original entry.
All of these are erased for the person: the ids the database deleted, plus any entry whose
review names the person (source and user id), which also finds reviews a `--no-store` worker
answered. The review stream itself is left alone: a review still waiting there is classified
and stored after the deletion (running it again removes it).
"""

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

import redis

from reviewbot.messages import Source
from reviewbot.protocol import RESULT_PREFIX, done_key, result_key

log = logging.getLogger(__name__)

#: Keys or stream entries read per Redis call while searching.
SCAN_COUNT = 1000


@dataclass(frozen=True)
class Forgotten:
    """What one /forget removed."""

    reviews: int
    result_keys: int
    stream_entries: int


def forget_everywhere(
    store, client: redis.Redis, source: Source, user_id: str, keep_stream: str
) -> Forgotten:
    """Delete the person's history rows, then their result/done keys and stream entries in
    Redis. `keep_stream`: the review stream, left alone (see the module docstring)."""
    ids = set(store.forget_user_reviews(source, user_id))
    keys, entries = erase_from_redis(client, Source(source), user_id, ids, keep_stream)
    return Forgotten(len(ids), keys, entries)


def erase_from_redis(
    client: redis.Redis, source: Source, user_id: str, review_ids: set[str], keep_stream: str
) -> tuple[int, int]:
    """Delete the result and done keys and the stream entries of `review_ids` and of any review
    of (source, user_id); the number of result keys and of stream entries deleted."""
    person = _Person(source.value, user_id)
    found = set(review_ids) | set(_results_of(client, person))
    results = 0
    for chunk in _chunks(sorted(found)):
        results += client.delete(*(result_key(i) for i in chunk))
        client.delete(*(done_key(i) for i in chunk))
    entries = 0
    for stream in client.scan_iter(count=SCAN_COUNT, _type="stream"):
        name = stream.decode() if isinstance(stream, bytes) else stream
        if name != keep_stream:
            entries += _erase_entries(client, name, found, person)
    log.info(
        "forgot %s user %s in Redis: %d result keys, %d stream entries",
        source.value,
        user_id,
        results,
        entries,
    )
    return results, entries


@dataclass(frozen=True)
class _Person:
    source: str
    user_id: str

    def wrote(self, review: object) -> bool:
        return (
            isinstance(review, dict)
            and review.get("source") == self.source
            and review.get("user_id") == self.user_id
        )


def _results_of(client: redis.Redis, person: _Person) -> Iterable[str]:
    """Ids of the result keys whose verdict is of a review by `person`."""
    batch: list[str] = []
    for key in client.scan_iter(match=f"{RESULT_PREFIX}*", count=SCAN_COUNT):
        batch.append(key.decode() if isinstance(key, bytes) else key)
        if len(batch) == SCAN_COUNT:
            yield from _matching(client, batch, person)
            batch = []
    if batch:
        yield from _matching(client, batch, person)


def _matching(client: redis.Redis, keys: list[str], person: _Person) -> Iterable[str]:
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.get(key)
    for key, value in zip(keys, pipe.execute(raise_on_error=False), strict=True):
        if isinstance(value, str | bytes) and person.wrote(_json(value).get("review")):
            yield key.removeprefix(RESULT_PREFIX)


def _erase_entries(client: redis.Redis, stream: str, ids: set[str], person: _Person) -> int:
    """XDEL the entries of `stream` that belong to `ids` or name `person`: reply entries
    (review_id, verdict), dead letters (review_id, entry: the original fields)."""
    deleted, start = 0, "-"
    while True:
        page = client.xrange(stream, min=start, count=SCAN_COUNT)
        doomed = [entry_id for entry_id, fields in page if _belongs(fields, ids, person)]
        if doomed:
            deleted += client.xdel(stream, *doomed)
        if len(page) < SCAN_COUNT:
            return deleted
        start = "(" + _text(page[-1][0])


def _belongs(fields: dict, ids: set[str], person: _Person) -> bool:
    fields = {_text(k): _text(v) for k, v in fields.items()}
    if fields.get("review_id") in ids:
        return True
    verdict = _json(fields.get("verdict", ""))
    if person.wrote(verdict.get("review")):
        return True
    entry = _json(fields.get("entry", ""))
    inner = entry.get("review") or entry.get("verdict")
    if isinstance(inner, str):
        inner = _json(inner)
        inner = inner.get("review", inner) if isinstance(inner, dict) else inner
    return person.wrote(inner)


def _json(value: str | bytes) -> dict:
    try:
        parsed = json.loads(value)
    except (ValueError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _text(value: str | bytes) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _chunks(items: list[str], size: int = SCAN_COUNT) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


__all__ = ["Forgotten", "erase_from_redis", "forget_everywhere"]
