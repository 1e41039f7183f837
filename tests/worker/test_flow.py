"""A review goes in through the client; its verdict comes out on the reply stream, the result
key and in storage."""

import redis

from reviewbot.messages import Label, Review, Source
from reviewbot.protocol import done_key, parse_verdict
from storage import open_store
from tests.waiting import wait_until
from worker import metrics


def test_review_answered_on_reply_stream_result_key_and_store(
    redis_url, client, running_worker, tmp_path
):
    store = open_store(f"sqlite:///{tmp_path}/history.db")
    reviews = [
        Review(
            text="a great film with wonderful acting",
            source=Source.TELEGRAM,
            chat_id="1",
            user_id="u1",
            reply_to="replies:telegram",
        ),
        Review(
            text="aburrida y lenta", source=Source.DISCORD, user_id="u2", reply_to="replies:discord"
        ),
        Review(text="just the result key please", source=Source.API),
    ]
    with running_worker(store=store):
        ids = [client.submit(review) for review in reviews]
        verdicts = [client.wait_result(review_id, timeout=20) for review_id in ids]

    for review, verdict in zip(reviews, verdicts, strict=True):
        assert verdict.review.id == review.id
        assert verdict.ok and verdict.prediction.label in (Label.POSITIVE, Label.NEGATIVE)
        assert verdict.prediction.n_tokens > 2

    r = redis.Redis.from_url(redis_url, decode_responses=True)
    telegram = r.xrange("replies:telegram")
    discord = r.xrange("replies:discord")
    assert [fields["review_id"] for _, fields in telegram] == [reviews[0].id]
    assert [fields["review_id"] for _, fields in discord] == [reviews[1].id]
    assert parse_verdict(telegram[0][1]["verdict"]).prediction == verdicts[0].prediction
    # Acked entries are deleted: the stream's length is exactly the backlog.
    assert r.xlen(client.settings.stream) == 0
    assert r.xpending(client.settings.stream, client.settings.group)["pending"] == 0

    stored = list(store.reviews_since(reviews[0].received_at.replace(year=2000)))
    assert sorted(review.id for review in stored) == sorted(ids)
    store.close()


def test_a_review_submitted_twice_is_answered_once(redis_url, client, running_worker):
    """Twice in one batch (a submit redis-py re-sent after a lost connection), then again later
    (a front-end submitting the same Review again): one answer."""
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    review = Review(text="a film worth seeing twice", source=Source.API, reply_to="replies")
    ok_before = metrics.REVIEWS.labels("ok")._value.get()
    client.submit(review)
    client.submit(review)
    with running_worker() as worker:
        first = client.wait_result(review.id, timeout=20)
        client.submit(review)
        wait_until(lambda: r.xlen(client.settings.stream) == 0)
    assert [fields["review_id"] for _, fields in r.xrange("replies")] == [review.id]
    assert client.result(review.id) == first
    assert r.llen(done_key(review.id)) == 0  # wait_result took the one wake-up; no second
    assert worker.answered == 1
    assert metrics.REVIEWS.labels("ok")._value.get() == ok_before + 1
    assert r.xpending(client.settings.stream, client.settings.group)["pending"] == 0
