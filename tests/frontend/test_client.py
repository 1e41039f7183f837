"""The client refuses bad input and a full queue before anything enters Redis."""

import time

import pytest

from frontend.client import AsyncReviewClient, ResultTimeout, retry_after, wait_slice
from reviewbot.connection import connect_async
from reviewbot.messages import Review, Source
from reviewbot.protocol import RATE_KEY
from reviewbot.validation import BinaryReview, Busy, EmptyReview, ReviewTooLong


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", EmptyReview),
        ("   \n\t ", EmptyReview),
        ("x" * 4001, ReviewTooLong),
        ("nice\x00film", BinaryReview),
        ("bell \x07 ring", BinaryReview),
        ("broken \ufffd bytes", BinaryReview),
    ],
)
def test_invalid_reviews_are_refused_before_redis(client, text, error):
    with pytest.raises(error) as caught:
        client.submit(Review(text=text, source=Source.API))
    assert caught.value.message  # a sentence the front-end can show as it is
    assert client.redis.xlen(client.settings.stream) == 0


def test_line_breaks_tabs_and_emoji_are_fine(client):
    review_id = client.submit(Review(text="Loved it\n\tgreat 🎬🍿", source=Source.API))
    assert client.redis.xlen(client.settings.stream) == 1
    assert client.result(review_id) is None


def test_backlog_bound_refuses_with_retry_after(client):
    client.settings.max_concurrent_requests = 5
    for n in range(5):
        client.submit(Review(text=f"review {n}", source=Source.API))
    with pytest.raises(Busy) as caught:
        client.submit(Review(text="one too many", source=Source.API))
    assert caught.value.backlog == 5
    assert caught.value.retry_after_s >= 1
    assert f"{caught.value.retry_after_s} s" in caught.value.message
    assert client.redis.xlen(client.settings.stream) == 5


def test_retry_after_follows_the_workers_rate():
    import time

    now = time.time()
    assert retry_after(1000, {"w1": f"50.0 {now:.0f}", "w2": f"50.0 {now:.0f}"}) == 10
    # A rate from a worker that stopped long ago is not counted.
    assert retry_after(1000, {"w1": f"500.0 {now - 3600:.0f}"}) == 5
    assert retry_after(10**9, {"w1": f"1.0 {now:.0f}"}) == 60


def test_busy_estimate_uses_published_rates(client):
    import time

    client.settings.max_concurrent_requests = 3
    client.redis.hset(RATE_KEY, "w1", f"1.0 {time.time():.0f}")
    for n in range(3):
        client.submit(Review(text=f"review {n}", source=Source.API))
    with pytest.raises(Busy) as caught:
        client.submit(Review(text="wait", source=Source.API))
    assert caught.value.retry_after_s == 3


def test_wait_result_times_out_without_a_worker(client):
    review_id = client.submit(Review(text="nobody is listening", source=Source.API))
    with pytest.raises(ResultTimeout):
        client.wait_result(review_id, timeout=0.3)


@pytest.mark.parametrize("remaining_s", [0.0001, 0.0009, 0.001])
def test_a_wait_with_under_a_millisecond_left_still_ends(client, remaining_s):
    # Redis 6.2 (the embedded server) reads a BLPOP timeout under 1 ms as 0, "block forever":
    # the waiter would hang until the socket timeout (30 s) and fail with a socket error.
    started = time.monotonic()
    assert client.redis.blpop(["nothing-here"], timeout=wait_slice(remaining_s)) is None
    assert time.monotonic() - started < 5
    with pytest.raises(ResultTimeout):
        client.wait_result("no-such-review", timeout=remaining_s)


async def test_an_async_wait_with_under_a_millisecond_left_still_ends(redis_url, worker_settings):
    client = AsyncReviewClient(connect_async(redis_url), worker_settings)
    started = time.monotonic()
    with pytest.raises(ResultTimeout):
        await client.wait_result("no-such-review", timeout=0.0019)
    assert time.monotonic() - started < 5
    await client.redis.aclose()


async def test_async_client_round_trip(redis_url, worker_settings, running_worker):
    # The project's connection (its socket timeout): the in-thread worker's first batch holds the
    # GIL for seconds on a loaded machine, past redis-py's default 5 s.
    client = AsyncReviewClient(connect_async(redis_url), worker_settings)
    with pytest.raises(EmptyReview):
        await client.submit(Review(text=" ", source=Source.DISCORD))
    with running_worker():
        review_id = await client.submit(Review(text="una película preciosa", source=Source.DISCORD))
        verdict = await client.wait_result(review_id, timeout=20)
    assert verdict.review.id == review_id and verdict.ok
    await client.aclose()


def test_submit_many_reports_each_review(client):
    client.settings.max_concurrent_requests = 3
    reviews = [Review(text=text, source=Source.API) for text in ("one", "", "two", "three", "four")]
    outcomes = client.submit_many(reviews)
    assert outcomes[0] == reviews[0].id and outcomes[2] == reviews[2].id
    assert outcomes[3] == reviews[3].id
    assert isinstance(outcomes[1], EmptyReview)
    assert isinstance(outcomes[4], Busy) and outcomes[4].backlog == 3
    assert client.redis.xlen(client.settings.stream) == 3


@pytest.mark.parametrize("text", ["\u200b\u200b\u2060", "\ufeff", "\u2800", "\u3164"])
def test_text_with_nothing_visible_is_refused_as_empty(client, text):
    with pytest.raises(EmptyReview) as caught:
        client.submit(Review(text=text, source=Source.API))
    assert caught.value.message.startswith("The review is empty")
    assert client.redis.xlen(client.settings.stream) == 0
