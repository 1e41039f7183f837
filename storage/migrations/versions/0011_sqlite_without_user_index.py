"""SQLite: drop the index on reviews(source, user_id); Postgres keeps it.

User ids are in no order, so every stored review wrote one entry into a random page of this
index, and SQLite writes each page a commit touched to its log and copies it back at the next
checkpoint: with 100,000 reviews stored, a batch of 256 touched ~220 of its pages, and the
index cost 40% of the batch's time (bench/storage_writes.py: 42k rows/s with it, 69k without,
docs/storage.md). Only forgetting a person read it, and on SQLite a forget VACUUMs the whole
file anyway (storage.Store.forget_user_reviews), which costs more than scanning the table for
that person's reviews: forget on 100,000 reviews took 0.41 s with the index, 0.37 s without.
On Postgres the index costs the writes nothing measurable and a forget does not rewrite the
table, so it stays there.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_reviews_source_user"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index(INDEX, table_name="reviews")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(INDEX, "reviews", ["source", "user_id"])
