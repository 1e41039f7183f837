"""The history tables as SQLAlchemy typed ORM classes. Alembic migrations create them; keep both in step.

All timestamps are UTC, stored without a zone (SQLite has none) so that views give the same
day on SQLite and Postgres.
"""

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from reviewbot.messages import Label, Language, Source


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime in Python, a zone-less UTC timestamp in the database."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _enum(enum: type[StrEnum], name: str) -> Enum:
    # Stored as the plain value ('telegram', 'positive') in a VARCHAR, so admins write
    # WHERE label = 'positive' and adding a member needs no migration.
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    pass


# Ids that come from outside (queue, platforms, checkpoint names) are TEXT: a VARCHAR limit would
# turn one unexpectedly long id into a batch that fails on every retry. Postgres stores both alike.


class ModelVersion(Base):
    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(Text, primary_key=True)
    #: Checkpoint folder; NULL when a prediction arrived before `register_model`.
    path: Mapped[str | None] = mapped_column(Text)
    threshold: Mapped[float | None] = mapped_column(Float)
    #: Evaluation metrics of the checkpoint at training time (reviewbot.json).
    metrics: Mapped[dict | None] = mapped_column(JSON)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: datetime.now(UTC))


class ReviewRow(Base):
    __tablename__ = "reviews"

    #: The review id from the queue: unique, which makes redelivery idempotent.
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    #: NULL once retention has pruned it.
    text: Mapped[str | None] = mapped_column(Text)
    #: Length of the text in characters, kept after pruning for drift history.
    text_chars: Mapped[int] = mapped_column(Integer)
    source: Mapped[Source] = mapped_column(_enum(Source, "source"))
    chat_id: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(Text)
    #: Language the classifier detected; NULL when the review failed before that.
    language: Mapped[Language | None] = mapped_column(_enum(Language, "language"))
    #: Why the review got no prediction (bad input, ...); NULL for classified reviews.
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    classified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_reviews_received_at", "received_at"),
        # For forgetting a person. Postgres only: on SQLite it cost 40% of a batch's write time,
        # and a forget there VACUUMs the whole file anyway (migration 0011).
        Index("ix_reviews_source_user", "source", "user_id").ddl_if(dialect="postgresql"),
    )


class PredictionRow(Base):
    __tablename__ = "predictions"

    review_id: Mapped[str] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    model_version: Mapped[str] = mapped_column(
        ForeignKey("model_versions.version"), primary_key=True
    )
    p_positive: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    #: Which of the checkpoint's thresholds that was: a language's own ("en", "es", "other") or
    #: "overall" (checkpoints with one threshold; every row stored before this column existed).
    threshold_scope: Mapped[str] = mapped_column(Text, server_default="overall")
    label: Mapped[Label] = mapped_column(_enum(Label, "label"))
    n_tokens: Mapped[int] = mapped_column(Integer)
    truncated: Mapped[bool] = mapped_column(Boolean)
    #: True for the prediction the person was answered with; False for re-scoring by another version.
    served: Mapped[bool] = mapped_column(Boolean)
    #: Model time of the whole batch this review was in (NULL for re-scoring).
    latency_ms: Mapped[float | None] = mapped_column(Float)
    batch_size: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        # At most one served prediction per review: a redelivery scored by a newer model keeps the first.
        Index(
            "uq_predictions_served",
            "review_id",
            unique=True,
            sqlite_where=text("served"),
            postgresql_where=text("served"),
        ),
        Index("ix_predictions_model_version", "model_version"),
    )


class FeedbackRow(Base):
    __tablename__ = "feedback"

    review_id: Mapped[str] = mapped_column(
        ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    #: Who gave it, on the review's platform; one answer per person and review (the latest wins).
    user_id: Mapped[str] = mapped_column(Text, primary_key=True)
    #: The label the person says is right.
    label: Mapped[Label] = mapped_column(_enum(Label, "label"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OptOutRow(Base):
    """A person who asked a front-end to stop processing and storing their messages."""

    __tablename__ = "opt_outs"

    source: Mapped[Source] = mapped_column(_enum(Source, "source"), primary_key=True)
    user_id: Mapped[str] = mapped_column(Text, primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime)


# -- the Discord bot's moderation state (migration 0008) ---------------------------------------
# Discord ids are snowflakes: 64-bit integers whose order is their creation order. They are
# stored as BIGINT (not TEXT like other outside ids) because the catch-up cursor and "the newest
# message handled" compare them as numbers.


class DiscordGuildRow(Base):
    """A server's moderation settings; a server without a row uses the deployment's defaults."""

    __tablename__ = "discord_guilds"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: The settings as a JSON object (reviewbot.messages.DiscordGuildConfig): new settings need
    #: no migration, and a setting absent from an old row takes its default.
    config: Mapped[dict] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DiscordChannelRow(Base):
    """A channel the bot watches (or watched: /unwatch keeps the row, so a channel listed in
    REVIEWBOT_DISCORD_WATCHED_CHANNELS stays unwatched after a restart)."""

    __tablename__ = "discord_channels"

    channel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: NULL for a channel configured by id before the bot saw its server.
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    watched: Mapped[bool] = mapped_column(Boolean)
    mode: Mapped[str] = mapped_column(Text)
    #: The newest message handled (classified or skipped): catch-up reads history after it.
    last_message_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DiscordMessageRow(Base):
    """A watched message handed to the workers, and what the bot did with its verdict."""

    __tablename__ = "discord_messages"

    channel_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    guild_id: Mapped[int | None] = mapped_column(BigInteger)
    author_id: Mapped[int] = mapped_column(BigInteger)
    #: The review of the message's current text (an edit gets a review of its own).
    review_id: Mapped[str] = mapped_column(Text)
    #: When the current text was written (the message's creation, or its last edit).
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The label and the reaction the bot gave the current review; NULL until its verdict came.
    label: Mapped[Label | None] = mapped_column(_enum(Label, "label"))
    emoji: Mapped[str | None] = mapped_column(Text)
    reply_message_id: Mapped[int | None] = mapped_column(BigInteger)
    escalation_message_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_discord_messages_author", "guild_id", "author_id"),
        Index("ix_discord_messages_review", "review_id"),
    )


class ApiKeyRow(Base):
    """A key of the HTTP API. Only its SHA-256 is stored: a leaked database gives no usable key."""

    __tablename__ = "api_keys"

    #: Short random id, shown by `reviewbot api-keys list` and used to revoke.
    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    #: Hex SHA-256 of the whole key (keys are 32 random bytes, so no slow hash is needed).
    key_hash: Mapped[str] = mapped_column(Text, unique=True)
    prefix: Mapped[str] = mapped_column(Text)
    #: Requests per rate window; NULL: the API's default.
    rate_limit: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
