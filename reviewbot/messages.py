"""The small typed objects that cross rooms: a review on its way in, a verdict on its way out.

Defined once here; bots build `Review`, the worker turns it into a `Verdict` using
`model.Prediction`, storage persists both.
"""

import os
import time
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_review_id() -> str:
    """A UUIDv7 (RFC 9562) as 32 hex digits: milliseconds since the epoch, then 74 random bits.

    Newer ids sort after older ones, so the history's indexes on review ids grow at their right
    edge: with random (v4) ids every batch wrote into pages all over the indexes, and with
    100,000 reviews stored the batched history writes ran at a third of the rate
    (bench/storage_writes.py, docs/storage.md).
    """
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10))
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # the RFC's variant
    return f"{value:032x}"


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

    id: str = Field(default_factory=new_review_id)
    text: str
    source: Source
    chat_id: str | None = None
    user_id: str | None = None
    message_id: str | None = None
    #: Stream the verdict is also written to, for the front-end to answer the person (None: only the result key).
    reply_to: str | None = None
    #: Time zone required: a naive time would be stored and compared as if it were UTC.
    received_at: AwareDatetime = Field(default_factory=utcnow)
    #: How many characters `text` had before the worker cut a refused review to the limit
    #: (reviewbot.validation.cut_text); None: `text` is whole.
    cut_from: int | None = None


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


class UsageStats(BaseModel):
    """The figures the bots' admin command (/stats) shows, read from the history."""

    model_config = ConfigDict(frozen=True)

    reviews_today: int
    reviews_7d: int
    #: Share of the served answers of the last 7 days that were positive (None: no answers).
    positive_rate_7d: float | None
    #: Median seconds from a review's arrival to its answer being sent, last 7 days.
    p50_answer_s: float | None
    #: The model version and threshold of the latest served answer.
    model_version: str | None
    threshold: float | None


# -- the Discord bot's moderation settings: bots/discord decides with them, storage keeps them --


class DiscordMode(StrEnum):
    #: React to each review with an emoji, nothing else (the default).
    MONITOR = "monitor"
    #: Also answer each review with a short reply.
    REPLY = "reply"
    #: Also post confident negatives to the server's mod-log channel, with buttons.
    ESCALATE = "escalate"


class DiscordGuildConfig(BaseModel):
    """One server's moderation settings, changed by its moderators with /settings and /exempt.
    A server nobody configured uses the deployment's defaults (bots.discord.settings)."""

    model_config = ConfigDict(frozen=True)

    #: Members with this role moderate the bot (besides those with Manage Server).
    moderator_role_id: int | None = None
    #: Where escalate mode posts confident negatives.
    mod_log_channel_id: int | None = None
    #: Messages of members with any of these roles are not classified.
    exempt_role_ids: tuple[int, ...] = ()
    #: Seconds after a member's classified message during which their next ones are not.
    cooldown_s: float = Field(30.0, ge=0)
    #: What counts as a review: its length in characters after cleaning, within these bounds.
    min_chars: int = Field(20, ge=1)
    max_chars: int = Field(2000, ge=1)
    emoji_positive: str = "👍"
    emoji_negative: str = "👎"
    emoji_unsure: str = "🤔"
    #: A member reacting with this says the bot's label is wrong (feedback).
    emoji_wrong: str = "❌"
    #: A review whose P(positive) is within this of the threshold gets the "unsure" emoji.
    unsure_band: float = Field(0.1, ge=0, le=0.5)
    #: Escalate mode posts negatives at least this confident (1 - P(positive)).
    escalate_confidence: float = Field(0.8, ge=0.5, le=1.0)


class DiscordChannel(BaseModel):
    """A channel the Discord bot watches (or watched) and how."""

    model_config = ConfigDict(frozen=True)

    channel_id: int
    guild_id: int | None = None
    watched: bool = True
    mode: DiscordMode = DiscordMode.MONITOR
    #: The newest message handled; catch-up reads the history after it.
    last_message_id: int | None = None


class ApiKey(BaseModel):
    """An HTTP API key as storage keeps it: never the key itself, only its SHA-256 and the first
    characters a person recognises it by (`reviewbot api-keys list`)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    #: The key's first characters ("rb_" + 6), enough to tell keys apart in a list or a log.
    prefix: str
    #: Requests per rate window for this key; None: the API's default (REVIEWBOT_API_RATE_LIMIT).
    rate_limit: int | None = None
    created_at: AwareDatetime
    revoked_at: AwareDatetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None
