"""The history tables as SQLAlchemy typed ORM classes. Alembic migrations create them; keep both in step.

All timestamps are UTC, stored without a zone (SQLite has none) so that views give the same
day on SQLite and Postgres.
"""

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
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
        Index("ix_reviews_source_user", "source", "user_id"),
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
