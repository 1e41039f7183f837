"""The small typed objects that cross rooms: a review on its way in, a verdict on its way out.

Defined once here; bots build `Review`, the worker turns it into a `Verdict` using
`model.Prediction`, storage persists both.
"""

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    return datetime.now(UTC)


class Source(StrEnum):
    TELEGRAM = "telegram"
    DISCORD = "discord"
    CONSOLE = "console"
    API = "api"


class Label(StrEnum):
    NEGATIVE = "negative"
    POSITIVE = "positive"


class Language(StrEnum):
    EN = "en"
    ES = "es"
    OTHER = "other"


class Prediction(BaseModel):
    """What the classifier says about one text."""

    model_config = ConfigDict(frozen=True)

    label: Label
    p_positive: float
    #: The threshold p_positive was compared with.
    threshold: float
    #: Which of the checkpoint's thresholds that was: a language's own ("en", "es", "other")
    #: or "overall" (checkpoints with one threshold, languages without one; older payloads).
    threshold_scope: str = "overall"
    language: Language
    n_tokens: int
    truncated: bool
    model_version: str


class Review(BaseModel):
    """A review a person sent, as a front-end hands it to the worker."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    text: str
    source: Source
    chat_id: str | None = None
    user_id: str | None = None
    message_id: str | None = None
    #: Stream the verdict is also written to, for the front-end to answer the person (None: only the result key).
    reply_to: str | None = None
    #: Time zone required: a naive time would be stored and compared as if it were UTC.
    received_at: AwareDatetime = Field(default_factory=utcnow)


class Verdict(BaseModel):
    """The outcome for one review: a prediction, or the error that kept it from one."""

    model_config = ConfigDict(frozen=True)

    review: Review
    prediction: Prediction | None = None
    error: str | None = None
    #: Milliseconds the model spent on the batch this review was in.
    latency_ms: float = 0.0
    batch_size: int = 0
    classified_at: AwareDatetime = Field(default_factory=utcnow)

    @property
    def ok(self) -> bool:
        return self.prediction is not None
