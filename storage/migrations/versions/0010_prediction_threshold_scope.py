"""Which of the checkpoint's thresholds decided a prediction: a language's own or the overall one.

Rows stored before this existed were all decided by their checkpoint's one threshold, so they
get "overall".

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "predictions",
        sa.Column("threshold_scope", sa.Text(), nullable=False, server_default="overall"),
    )


def downgrade() -> None:
    # A plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): batch mode would copy the table,
    # which the views on it do not survive.
    op.drop_column("predictions", "threshold_scope")
