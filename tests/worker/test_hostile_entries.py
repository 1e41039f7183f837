"""Entries added behind the client's back: invisible text, a huge text, a reply target or a
result key of the wrong type. Each is answered, and nothing is copied or dropped silently."""

import logging

import redis

from reviewbot.messages import Review, Source
from reviewbot.protocol import parse_verdict, result_key, review_fields
from storage import open_store
from tests.waiting import wait_until
from worker import metrics


def test_invisible_text_added_behind_the_clients_back_is_empty(
    redis_url, worker_settings, running_worker
):
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    blank = Review(text="\u200b\u200b\u2060", source=Source.API, reply_to="replies")
    r.xadd(worker_settings.stream, review_fields(blank))
    with running_worker():
        wait_until(lambda: r.xlen("replies") == 1)
    verdict = parse_verdict(r.xrange("replies")[0][1]["verdict"])
    assert not verdict.ok and verdict.error.startswith("The review is empty")


def test_a_refused_huge_text_is_stored_and_echoed_cut_to_the_limit(
    redis_url, worker_settings, running_worker, tmp_path
):
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    huge = Review(text="y" * 5_000_000, source=Source.API, user_id="7", reply_to="replies")
    r.xadd(worker_settings.stream, review_fields(huge))
    store = open_store(f"sqlite:///{tmp_path / 'history.db'}")
    with running_worker(store=store):
        wait_until(lambda: r.xlen("replies") == 1)
    limit = worker_settings.max_review_chars
    replied = parse_verdict(r.xrange("replies")[0][1]["verdict"])
    result = parse_verdict(r.get(result_key(huge.id)))
    for verdict in (replied, result):
        assert not verdict.ok and "too long (5000000 characters" in verdict.error
        assert len(verdict.review.text) <= limit
        assert "cut from 5000000 characters" in verdict.review.text
    with store.session() as session:
        from storage.schema import ReviewRow

        row = session.get(ReviewRow, huge.id)
    assert len(row.text) <= limit and "cut from 5000000 characters" in row.text
    assert row.text_chars == 5_000_000
    assert r.memory_usage(result_key(huge.id)) < 3 * limit
    store.close()


def test_a_reply_target_of_another_type_still_answers_through_the_result_key(
    redis_url, worker_settings, running_worker, caplog
):
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    r.hset("not-a-stream", "some", "hash")
    review = Review(text="a decent film", source=Source.API, reply_to="not-a-stream")
    r.xadd(worker_settings.stream, review_fields(review))
    failures = metrics.ANSWER_FAILURES.labels("reply")._value.get()
    with caplog.at_level(logging.ERROR, logger="worker"), running_worker() as worker:
        wait_until(lambda: r.exists(result_key(review.id)))
        wait_until(lambda: metrics.ANSWER_FAILURES.labels("reply")._value.get() == failures + 1)
        wait_until(lambda: worker.answered == 1)
    assert parse_verdict(r.get(result_key(review.id))).ok
    assert r.hgetall("not-a-stream") == {"some": "hash"}
    assert any(
        review.id in record.getMessage() and "not-a-stream" in record.getMessage()
        for record in caplog.records
    )


def test_a_result_key_of_another_type_is_replaced_by_the_answer(
    redis_url, worker_settings, running_worker, caplog
):
    """The result key namespace is the worker's: a list squatting there is not an answer."""
    r = redis.Redis.from_url(redis_url, decode_responses=True)
    review = Review(text="a decent film", source=Source.API, reply_to="replies")
    r.rpush(result_key(review.id), "squatter")
    r.xadd(worker_settings.stream, review_fields(review))
    failures = metrics.ANSWER_FAILURES.labels("result")._value.get()
    with caplog.at_level(logging.ERROR, logger="worker"), running_worker() as worker:
        wait_until(lambda: r.xlen("replies") == 1)
        wait_until(lambda: worker.answered == 1)
    assert r.type(result_key(review.id)) == "string"
    assert parse_verdict(r.get(result_key(review.id))).ok
    assert metrics.ANSWER_FAILURES.labels("result")._value.get() == failures + 1
    assert any(review.id in record.getMessage() for record in caplog.records)
