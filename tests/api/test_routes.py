"""Every route of the API over real HTTP, against a real Redis and a worker on the tiny
checkpoint: verdicts, 202 and polling, batches with inline refusals, feedback stored in the
history, the old app's routes, and each refusal with the sentence the bots show."""

import re

import httpx
import pytest
from sqlalchemy import select

from frontend.texts import sentence, submit_error_text
from reviewbot.messages import Language
from reviewbot.validation import BinaryReview, EmptyReview, ReviewTooLong
from storage.schema import FeedbackRow
from tests.api.helpers import until

VERDICT_FIELDS = {
    "id",
    "status",
    "label",
    "p_positive",
    "confidence",
    "threshold",
    "language",
    "truncated",
    "n_tokens",
    "model_version",
    "error",
    "summary",
    "latencies",
}


def metric(client: httpx.Client, name: str, **labels: str) -> float:
    """The value of one Prometheus sample (0 when absent)."""
    text = client.get("/metrics").text
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match and ",".join(sorted((match.group(1) or "").split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def test_a_review_gets_its_verdict_and_can_be_fetched_again_by_id(stack):
    with stack.client() as http:
        answer = http.post("/v1/reviews", json={"text": "A wonderful, moving film."})
        assert answer.status_code == 200, answer.text
        verdict = answer.json()
        assert set(verdict) == VERDICT_FIELDS
        assert verdict["status"] == "done" and verdict["label"] in ("positive", "negative")
        assert 0 <= verdict["p_positive"] <= 1 and verdict["threshold"] == pytest.approx(0.48)
        assert verdict["language"] in ("en", "es", "other") and verdict["truncated"] is False
        assert verdict["model_version"] and verdict["error"] is None
        assert verdict["latencies"]["total_ms"] > 0 and verdict["latencies"]["model_ms"] > 0
        again = http.get(f"/v1/reviews/{verdict['id']}")
        assert again.status_code == 200
        assert again.json()["p_positive"] == verdict["p_positive"]
        assert again.json()["latencies"]["total_ms"] is None


def test_wait_s_0_answers_202_with_a_location_that_gives_the_verdict(stack):
    with stack.client() as http:
        answer = http.post("/v1/reviews", json={"text": "Not worth the ticket.", "wait_s": 0})
        assert answer.status_code == 202
        pending = answer.json()
        assert pending["status"] == "pending" and pending["detail"] == sentence("pending")
        assert answer.headers["location"] == f"/v1/reviews/{pending['id']}"
        until(lambda: http.get(answer.headers["location"]).status_code == 200, "the verdict")
        assert http.get(answer.headers["location"]).json()["id"] == pending["id"]


def test_an_unknown_review_id_is_404_with_a_sentence(stack):
    with stack.client() as http:
        answer = http.get("/v1/reviews/api-00000000000000000000000000000000")
    assert answer.status_code == 404
    assert answer.json() == {
        "detail": sentence("not_found"),
        "code": "not_found",
        "retry_after_s": None,
    }


def test_a_retried_post_with_the_same_idempotency_key_is_one_review(stack):
    with stack.client() as http:
        queued = metric(http, "reviewbot_api_reviews_total", outcome="queued")
        first = http.post(
            "/v1/reviews",
            json={"text": "Great cast.", "wait_s": 0},
            headers={"Idempotency-Key": "k-1"},
        )
        second = http.post(
            "/v1/reviews", json={"text": "Great cast."}, headers={"Idempotency-Key": "k-1"}
        )
        by_body = http.post("/v1/reviews", json={"text": "Great cast.", "id": "k-1"})
        other = http.post("/v1/reviews", json={"text": "Great cast.", "id": "k-2"})
        assert first.status_code == 202 and second.status_code == 200
        assert first.json()["id"] == second.json()["id"] == by_body.json()["id"]
        assert other.json()["id"] != first.json()["id"]
        assert metric(http, "reviewbot_api_reviews_total", outcome="queued") == queued + 2


def test_a_batch_answers_in_order_with_refusals_inline_and_the_same_decisions_as_one_by_one(stack):
    texts = [
        "Loved every minute.",
        "",
        "Una película aburridísima.",
        "bad\x00byte",
        "x" * 5000,
        "Meh.",
    ]
    with stack.client() as http:
        answer = http.post("/v1/reviews/batch", json={"texts": texts})
        assert answer.status_code == 200, answer.text
        items = answer.json()["items"]
        assert [item["status"] for item in items] == [
            "done", "refused", "done", "refused", "refused", "done"
        ]  # fmt: skip
        assert items[1] == {
            "status": "refused",
            "code": "empty",
            "detail": EmptyReview().message,
            "retry_after_s": None,
        }
        assert (
            items[3]["code"] == "binary" and items[3]["detail"] == BinaryReview(3, "\x00").message
        )
        assert items[4]["code"] == "too_long"
        assert items[4]["detail"] == ReviewTooLong(5000, 4000).message
        for index in (0, 2, 5):
            single = http.post("/v1/reviews", json={"text": texts[index]}).json()
            assert single["label"] == items[index]["label"]
            assert single["p_positive"] == pytest.approx(items[index]["p_positive"], abs=1e-5)


def test_a_batch_over_the_limit_is_refused_whole_with_the_limit(stack):
    with stack.client() as http:
        answer = http.post("/v1/reviews/batch", json={"texts": ["fine"] * 17})
    assert answer.status_code == 422
    assert answer.json()["detail"] == sentence("batch_too_large", limit=16, count=17)


def test_feedback_is_stored_in_the_history_and_unknown_reviews_get_404(stack):
    with stack.client() as http:
        verdict = http.post("/v1/reviews", json={"text": "A masterpiece."}).json()
        answer = http.post(
            f"/v1/reviews/{verdict['id']}/feedback", json={"label": "negative", "user_id": "ana"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["detail"] == sentence("feedback_thanks")
        with stack.store.session() as session:
            rows = session.scalars(
                select(FeedbackRow).where(FeedbackRow.review_id == verdict["id"])
            ).all()
        assert [(row.user_id, row.label.value) for row in rows] == [("anonymous:ana", "negative")]

        gone = http.post("/v1/reviews/api-nothing/feedback", json={"label": "positive"})
        assert gone.status_code == 404 and gone.json()["detail"] == sentence("feedback_gone")
        wrong = http.post(f"/v1/reviews/{verdict['id']}/feedback", json={"label": "meh"})
        assert wrong.status_code == 422 and wrong.json()["code"] == "invalid_request"


def test_the_old_apps_routes_answer_label_probability_threshold_language(stack):
    with stack.client() as http:
        single = http.post("/predict_single", json={"text": "Brilliant."})
        assert single.status_code == 200
        item = single.json()
        assert set(item) == {"label", "probability", "threshold", "language", "error"}
        assert item["error"] is None and (item["probability"] >= item["threshold"]) == (
            item["label"] == "positive"
        )
        batch = http.post("/predict_batch", json={"texts": ["Brilliant.", "", "Awful."]})
        assert batch.status_code == 200
        items = batch.json()
        assert len(items) == 3 and items[0]["probability"] == pytest.approx(item["probability"])
        assert items[1]["label"] is None and items[1]["error"] == EmptyReview().message
        refused = http.post("/predict_single", json={"text": "   "})
        assert refused.status_code == 422 and refused.json()["detail"] == EmptyReview().message


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", EmptyReview()),
        (" \n\t", EmptyReview()),
        ("y" * 4001, ReviewTooLong(4001, 4000)),
        ("ok\x1b[31m", BinaryReview(2, "\x1b")),
    ],
    ids=["empty", "whitespace", "too-long", "binary"],
)
@pytest.mark.parametrize("lang", [Language.EN, Language.ES])
def test_a_bad_review_is_422_with_the_sentence_the_bots_show(stack, text, error, lang):
    with stack.client(
        **{"Accept-Language": "es-ES,es;q=0.9" if lang == Language.ES else "en-GB"}
    ) as http:
        answer = http.post("/v1/reviews", json={"text": text})
    assert answer.status_code == 422
    assert answer.json()["detail"] == submit_error_text(error, lang)


def test_a_body_over_the_limit_is_413_declared_or_chunked(stack):
    big = b'{"text": "' + b"a" * 70_000 + b'"}'
    with stack.client() as http:
        declared = http.post(
            "/v1/reviews", content=big, headers={"Content-Type": "application/json"}
        )
        chunked = http.post(
            "/v1/reviews",
            content=iter([big[:40_000], big[40_000:]]),
            headers={"Content-Type": "application/json"},
        )
    for answer in (declared, chunked):
        assert answer.status_code == 413
        assert answer.json()["detail"] == sentence("body_too_large", limit=65_536)


def test_a_malformed_body_is_422_in_one_line_without_a_traceback(stack):
    with stack.client() as http:
        answer = http.post(
            "/v1/reviews", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        wrong_type = http.post("/v1/reviews", json={"text": 42})
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_request"
    assert "Traceback" not in answer.text
    assert wrong_type.status_code == 422 and "text" in wrong_type.json()["detail"]


def test_health_readiness_and_metrics(stack):
    with stack.client() as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        ready = http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["workers"] >= 1
        http.post("/v1/reviews", json={"text": "Fine."})
        text = http.get("/metrics").text
    assert 'reviewbot_api_requests_total{method="POST",route="/v1/reviews",status="200"}' in text
    assert "reviewbot_api_live_workers 1.0" in text
    assert "reviewbot_api_verdict_wait_seconds_count" in text
