"""The Discord bot's moderation state: server settings, watched channels, handled messages.

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "discord_guilds",
        sa.Column("guild_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=False), nullable=False),
    )
    op.create_table(
        "discord_channels",
        sa.Column("channel_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("watched", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("last_message_id", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=False), nullable=False),
    )
    op.create_table(
        "discord_messages",
        sa.Column("channel_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("message_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("review_id", sa.Text(), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=False), nullable=False),
        sa.Column("label", sa.String(16), nullable=True),
        sa.Column("emoji", sa.Text(), nullable=True),
        sa.Column("reply_message_id", sa.BigInteger(), nullable=True),
        sa.Column("escalation_message_id", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_discord_messages_author", "discord_messages", ["guild_id", "author_id"])
    op.create_index("ix_discord_messages_review", "discord_messages", ["review_id"])


def downgrade() -> None:
    op.drop_index("ix_discord_messages_review", table_name="discord_messages")
    op.drop_index("ix_discord_messages_author", table_name="discord_messages")
    op.drop_table("discord_messages")
    op.drop_table("discord_channels")
    op.drop_table("discord_guilds")
