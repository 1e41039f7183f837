"""History tables: model versions, reviews, predictions, feedback.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The migration spells its own types rather than importing storage.schema, so it stays what it
# was when later revisions change the ORM classes.
TIMESTAMP = sa.DateTime(timezone=False)
ENUM = sa.String(16)
ID = sa.Text()


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("version", ID, primary_key=True),
        sa.Column("path", sa.Text()),
        sa.Column("threshold", sa.Float()),
        sa.Column("metrics", sa.JSON()),
        sa.Column("registered_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "reviews",
        sa.Column("id", ID, primary_key=True),
        sa.Column("text", sa.Text()),
        sa.Column("text_chars", sa.Integer(), nullable=False),
        sa.Column("source", ENUM, nullable=False),
        sa.Column("chat_id", ID),
        sa.Column("user_id", ID),
        sa.Column("message_id", ID),
        sa.Column("language", ENUM),
        sa.Column("error", sa.Text()),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("classified_at", TIMESTAMP),
        sa.Column("replied_at", TIMESTAMP),
    )
    op.create_index("ix_reviews_received_at", "reviews", ["received_at"])
    op.create_index("ix_reviews_source_user", "reviews", ["source", "user_id"])
    op.create_table(
        "predictions",
        sa.Column(
            "review_id", ID, sa.ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("model_version", ID, sa.ForeignKey("model_versions.version"), primary_key=True),
        sa.Column("p_positive", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("label", ENUM, nullable=False),
        sa.Column("n_tokens", sa.Integer(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("served", sa.Boolean(), nullable=False),
        sa.Column("latency_ms", sa.Float()),
        sa.Column("batch_size", sa.Integer()),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_index(
        "uq_predictions_served",
        "predictions",
        ["review_id"],
        unique=True,
        sqlite_where=sa.text("served"),
        postgresql_where=sa.text("served"),
    )
    op.create_index("ix_predictions_model_version", "predictions", ["model_version"])
    op.create_table(
        "feedback",
        sa.Column(
            "review_id", ID, sa.ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("user_id", ID, primary_key=True),
        sa.Column("label", ENUM, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("predictions")
    op.drop_table("reviews")
    op.drop_table("model_versions")
