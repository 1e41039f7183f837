"""Bad entries never take a worker or their batch-mates down; poison ends in the dead-letter
stream."""

import json

import pytest
import redis

from reviewbot.messages import Review, Source
from reviewbot.protocol import parse_verdict, result_key, review_fields
from storage import StoreUnavailable
from tests.waiting import wait_until

POISON = "this exact text breaks the model"


class PoisonedClassifier:
    """The real classifier, except that tokenizing one particular text raises (as a tokenizer
    bug or a corrupt input would)."""

    def __init__(self, classifier):
        self._classifier = classifier

    def __getattr__(self, name):
        return getattr(self._classifier, name)

    def encode(self, texts):
        if POISON in texts:
            raise ValueError("tokenizer exploded")
        return self._classifier.encode(texts)

    def predict(self, texts):
        return self._classifier.score(self.encode(texts))


def test_poison_review_is_isolated_then_dead_lettered(redis_url, worker_settings, running_worker):
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    good = [
        Review(text=f"a good film number {n}", source=Source.API, reply_to="replies")
        for n in range(7)
    ]
    poison = Review(text=POISON, source=Source.TELEGRAM, chat_id="9", reply_to="replies")
    # Queued before the worker starts, so all eight share one batch.
    for review in good[:4] + [poison] + good[4:]:
        r.xadd(worker_settings.stream, review_fields(review))

    with running_worker(wrap=PoisonedClassifier):
        wait_until(lambda: r.xlen(worker_settings.dead_letter_stream) == 1)
        wait_until(lambda: r.xlen(worker_settings.stream) == 0)

    replies = {f["review_id"]: parse_verdict(f["verdict"]) for _, f in r.xrange("replies")}
    assert set(replies) == {review.id for review in good} | {poison.id}
    assert all(replies[review.id].ok for review in good)
    assert all(replies[review.id].batch_size > 1 for review in good)
    assert not replies[poison.id].ok
    assert "tokenizer exploded" in replies[poison.id].error

    [(_, dead)] = r.xrange(worker_settings.dead_letter_stream)
    assert dead["review_id"] == poison.id
    assert "tokenizer exploded" in dead["error"]
    assert int(dead["deliveries"]) == worker_settings.max_deliveries + 1
    assert json.loads(json.loads(dead["entry"])["review"])["text"] == POISON
    assert r.xpending(worker_settings.stream, worker_settings.group)["pending"] == 0


def test_malformed_entry_is_dead_lettered_at_once(redis_url, worker_settings, running_worker):
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    r.xadd(worker_settings.stream, {"text": "no review field"})
    r.xadd(worker_settings.stream, {"review": "{not json"})
    fine = Review(text="still classified", source=Source.API)
    r.xadd(worker_settings.stream, review_fields(fine))
    with running_worker():
        wait_until(lambda: r.exists(result_key(fine.id)))
        wait_until(lambda: r.xlen(worker_settings.dead_letter_stream) == 2)
    errors = [fields["error"] for _, fields in r.xrange(worker_settings.dead_letter_stream)]
    assert all(error.startswith("malformed stream entry") for error in errors)
    assert r.xlen(worker_settings.stream) == 0


def test_invalid_text_added_behind_the_clients_back_gets_an_error_reply(
    redis_url, worker_settings, running_worker
):
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    bad = Review(text="nul\x00byte", source=Source.TELEGRAM, reply_to="replies")
    r.xadd(worker_settings.stream, review_fields(bad))
    with running_worker():
        wait_until(lambda: r.xlen("replies") == 1)
    verdict = parse_verdict(r.xrange("replies")[0][1]["verdict"])
    assert verdict.review.id == bad.id and not verdict.ok
    assert "control or binary character" in verdict.error
    assert r.xlen(worker_settings.dead_letter_stream) == 0


def strand(r: redis.Redis, settings, review: Review) -> str:
    """Add `review` as if every one of `max_deliveries` workers died holding it (no error
    recorded): the next worker to reclaim it finds it past its delivery budget."""
    stream, group = settings.stream, settings.group
    r.xgroup_create(stream, group, id="0", mkstream=True)
    entry_id = r.xadd(stream, review_fields(review))
    r.xreadgroup(group, "crashed-worker-1", {stream: ">"})
    for n in range(settings.max_deliveries):
        r.xclaim(stream, group, f"crashed-worker-{n + 2}", 0, [entry_id])
    return entry_id


def test_reviews_stranded_by_crashing_workers_are_dead_lettered(
    redis_url, worker_settings, running_worker
):
    """A review whose every delivery killed its worker (no error recorded) ends in the
    dead-letter stream once its delivery count passes max_deliveries."""
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    review = Review(text="crashes every worker", source=Source.API, reply_to="replies")
    strand(r, worker_settings, review)
    with running_worker():
        wait_until(lambda: r.xlen(worker_settings.dead_letter_stream) == 1, timeout=10)
    verdict = parse_verdict(r.get(result_key(review.id)))
    assert "stopped each time" in verdict.error


def test_entries_that_are_not_utf8_do_not_stop_their_batch(
    redis_url, worker_settings, running_worker
):
    """Strict decoding would fail the whole XREADGROUP reply, leaving the good entries read
    with the broken one pending forever."""
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    raw = redis.Redis.from_url(redis_url)
    good = [
        Review(text=f"a fine film {n}", source=Source.API, reply_to="replies") for n in range(3)
    ]
    broken_text = Review(text="PLACEHOLDER", source=Source.API, reply_to="replies")
    r.xadd(worker_settings.stream, review_fields(good[0]))
    raw.xadd(worker_settings.stream, {b"review": b"\xff\xfe not UTF-8 at all"})
    r.xadd(worker_settings.stream, review_fields(good[1]))
    # Valid JSON except for the bytes inside the text: parses, then fails validation (U+FFFD).
    payload = review_fields(broken_text)["review"].encode().replace(b"PLACEHOLDER", b"bad \xc3(")
    raw.xadd(worker_settings.stream, {b"review": payload})
    r.xadd(worker_settings.stream, review_fields(good[2]))

    with running_worker():
        wait_until(lambda: r.xlen(worker_settings.stream) == 0)

    replies = {f["review_id"]: parse_verdict(f["verdict"]) for _, f in r.xrange("replies")}
    assert set(replies) == {review.id for review in good} | {broken_text.id}
    assert all(replies[review.id].ok for review in good)
    assert "control or binary character" in replies[broken_text.id].error
    [(_, dead)] = r.xrange(worker_settings.dead_letter_stream)
    assert dead["error"].startswith("malformed stream entry")
    assert r.xpending(worker_settings.stream, worker_settings.group)["pending"] == 0


class RejectingStore:
    """A database that fails every batch holding one particular review (a row it rejects, or a
    failure it reports as an outage) and stores everything else."""

    def __init__(self, bad_id: str, error: Exception) -> None:
        self.bad_id, self.error = bad_id, error
        self.saved: list[str] = []

    def save_verdicts(self, verdicts):
        if any(v.review.id == self.bad_id for v in verdicts):
            raise self.error
        self.saved += [v.review.id for v in verdicts]


@pytest.mark.parametrize("error", [ValueError("row rejected"), StoreUnavailable("down")])
def test_dead_letters_do_not_wait_for_the_database(
    redis_url, worker_settings, running_worker, error
):
    """A review past max_deliveries whose verdict the database will not take is dead-lettered
    all the same, instead of being redelivered forever."""
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    stream = worker_settings.stream
    stranded = Review(text="crashed every worker", source=Source.API, reply_to="replies")
    strand(r, worker_settings, stranded)
    fine = Review(text="a fine film", source=Source.API, reply_to="replies")
    r.xadd(stream, review_fields(fine))
    store = RejectingStore(stranded.id, error)
    with running_worker(store=store):
        wait_until(lambda: r.xlen(worker_settings.dead_letter_stream) == 1, timeout=10)
        wait_until(lambda: r.xlen(stream) == 0)
    replies = {f["review_id"]: parse_verdict(f["verdict"]) for _, f in r.xrange("replies")}
    assert replies[fine.id].ok and "stopped each time" in replies[stranded.id].error
    assert store.saved == [fine.id]
