"""The HTTP API's request and response bodies (its OpenAPI schema), built on reviewbot.messages.

Text fields carry no length or emptiness constraints in the schema on purpose: an empty, too long
or binary text reaches reviewbot.validation and is refused with the sentence the bots show.
"""

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from frontend.texts import confidence, verdict_text
from reviewbot.messages import Label, Language, Verdict

#: Longest client-chosen review id / idempotency key (it is hashed, never stored as such).
MAX_CLIENT_ID_CHARS = 200


class ReviewRequest(BaseModel):
    text: str = Field(description="The review, in English or Spanish.")
    wait_s: float | None = Field(
        None,
        ge=0,
        description="Seconds to wait for the verdict before answering 202 (default and cap: "
        "REVIEWBOT_API_DEFAULT_WAIT_S / _MAX_WAIT_S); 0 answers 202 at once.",
    )
    id: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_CLIENT_ID_CHARS,
        description="Your own id for this review (like the Idempotency-Key header): sending it "
        "again answers the same review instead of queueing a second one.",
    )


class BatchRequest(BaseModel):
    texts: list[str] = Field(description="Reviews, at most REVIEWBOT_API_BATCH_MAX_TEXTS.")
    wait_s: float | None = Field(None, ge=0, description="As for POST /v1/reviews.")


class FeedbackRequest(BaseModel):
    label: Label = Field(description="The label you say is right.")
    user_id: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_CLIENT_ID_CHARS,
        description="Who gives it, in your own terms (one vote per person and review; a "
        "later vote replaces an earlier one). Scoped to your API key.",
    )


class Latencies(BaseModel):
    #: Model time of the batch the review was classified in.
    model_ms: float
    #: From the moment the API accepted the review to its verdict (queue + batching + model).
    queue_ms: float
    #: This HTTP request, as the API measured it; None when the verdict was fetched later.
    total_ms: float | None = None


class VerdictOut(BaseModel):
    id: str
    status: Literal["done"] = "done"
    #: None when the review could not be classified (`error` says why).
    label: Label | None
    p_positive: float | None
    #: P(label): how sure the model is of the label it gave.
    confidence: float | None
    threshold: float | None
    language: Language | None
    truncated: bool | None
    n_tokens: int | None
    model_version: str | None
    error: str | None = None
    #: The answer as the bots word it, in the language of Accept-Language (English or Spanish).
    summary: str
    latencies: Latencies

    @classmethod
    def of(cls, verdict: Verdict, lang: Language, total_ms: float | None = None) -> "VerdictOut":
        prediction = verdict.prediction
        queue_s = (verdict.classified_at - verdict.review.received_at).total_seconds()
        return cls(
            id=verdict.review.id,
            label=prediction and prediction.label,
            p_positive=prediction and prediction.p_positive,
            confidence=prediction and confidence(prediction),
            threshold=prediction and prediction.threshold,
            language=prediction and prediction.language,
            truncated=prediction and prediction.truncated,
            n_tokens=prediction and prediction.n_tokens,
            model_version=prediction and prediction.model_version,
            error=verdict.error if prediction is None else None,
            summary=verdict_text(verdict, lang),
            latencies=Latencies(
                model_ms=verdict.latency_ms,
                queue_ms=max(0.0, queue_s * 1000),
                total_ms=total_ms,
            ),
        )


class PendingOut(BaseModel):
    id: str
    status: Literal["pending"] = "pending"
    detail: str


class ItemError(BaseModel):
    """A batch item that was not queued: `detail` is the sentence a person would see."""

    status: Literal["refused"] = "refused"
    code: str
    detail: str
    retry_after_s: int | None = None


BatchItem = Annotated[VerdictOut | PendingOut | ItemError, Field(discriminator="status")]


class BatchOut(BaseModel):
    #: One item per text, in the order sent.
    items: list[BatchItem]


class FeedbackOut(BaseModel):
    id: str
    label: Label
    status: Literal["recorded"] = "recorded"
    detail: str


class Problem(BaseModel):
    """Every error: a sentence for a person (`detail`) and a stable `code` for a program."""

    detail: str
    code: str
    retry_after_s: int | None = None


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready"] = "ready"
    #: Workers seen on the review stream within REVIEWBOT_API_WORKER_FRESH_S.
    workers: int
    #: Reviews waiting or in flight.
    backlog: int


# -- the old web app's routes (/predict_single, /predict_batch) ----------------------------------


class PredictSingleRequest(BaseModel):
    text: str


class PredictBatchRequest(BaseModel):
    texts: list[str]


class PredictItem(BaseModel):
    """The old app's answer: `probability` is P(positive), compared with `threshold`."""

    label: Label | None
    probability: float | None
    threshold: float | None
    language: Language | None
    #: Why this text got no label (refused, failed, or still queued); None when it has one.
    error: str | None = None

    @classmethod
    def of(cls, verdict: Verdict) -> "PredictItem":
        prediction = verdict.prediction
        if prediction is None:
            return cls.failed(verdict.error or "unknown error")
        return cls(
            label=prediction.label,
            probability=prediction.p_positive,
            threshold=prediction.threshold,
            language=prediction.language,
        )

    @classmethod
    def failed(cls, error: str) -> "PredictItem":
        return cls(label=None, probability=None, threshold=None, language=None, error=error)
