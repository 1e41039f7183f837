"""The Discord bot's moderation state in SQL: server settings, watched channels with their
catch-up cursor, the messages handed to the workers, and the channel mood figures.

    state = DiscordState(store)
    state.record_handled(channel_id, guild_id, message_id, HandledMessage(...))

Sync like the Store (the bot calls it through `asyncio.to_thread`); every write is one
transaction and idempotent, so a message handled twice (a restart, a catch-up that overlaps the
live events) changes nothing the second time.
"""

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from reviewbot.messages import DiscordChannel, DiscordGuildConfig, DiscordMode, Label, Source
from storage.engine import dialect_of, unavailable_as_store_error
from storage.schema import (
    DiscordChannelRow,
    DiscordGuildRow,
    DiscordMessageRow,
    OptOutRow,
    PredictionRow,
    ReviewRow,
)
from storage.store import Store


@dataclass(frozen=True)
class HandledMessage:
    """A watched message handed to the workers, and what the bot did with its verdict."""

    channel_id: int
    message_id: int
    guild_id: int | None
    author_id: int
    review_id: str
    written_at: datetime
    label: Label | None = None
    emoji: str | None = None
    reply_message_id: int | None = None
    escalation_message_id: int | None = None


@dataclass(frozen=True)
class MoodDay:
    day: date
    reviews: int
    positive: int

    @property
    def positive_rate(self) -> float:
        return self.positive / self.reviews if self.reviews else 0.0


@dataclass(frozen=True)
class NegativeMessage:
    guild_id: int | None
    channel_id: int
    message_id: int
    p_positive: float


#: A handled message's served prediction (the verdict its author saw), for joins.
SERVED_PREDICTION = and_(
    PredictionRow.review_id == DiscordMessageRow.review_id, PredictionRow.served.is_(True)
)


class DiscordState:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[
            dialect_of(store.url)
        ]

    def _session(self):
        return self.store.session()

    @contextmanager
    def _begin(self) -> Iterator[Session]:
        with self.store.session() as session, session.begin():
            yield session

    # -- settings --------------------------------------------------------------------------

    def guild_configs(self) -> dict[int, DiscordGuildConfig]:
        with unavailable_as_store_error(self.store.url), self._session() as session:
            rows = session.scalars(select(DiscordGuildRow)).all()
            return {row.guild_id: DiscordGuildConfig.model_validate(row.config) for row in rows}

    def save_guild_config(self, guild_id: int, config: DiscordGuildConfig) -> None:
        values = {
            "guild_id": guild_id,
            "config": config.model_dump(mode="json"),
            "updated_at": datetime.now(UTC),
        }
        stmt = self._insert(DiscordGuildRow).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[DiscordGuildRow.guild_id],
            set_={"config": stmt.excluded.config, "updated_at": stmt.excluded.updated_at},
        )
        with unavailable_as_store_error(self.store.url), self._begin() as session:
            session.execute(stmt)

    def channels(self) -> dict[int, DiscordChannel]:
        with unavailable_as_store_error(self.store.url), self._session() as session:
            rows = session.scalars(select(DiscordChannelRow)).all()
            return {row.channel_id: _to_channel(row) for row in rows}

    def save_channel(self, channel: DiscordChannel) -> None:
        """Watch or unwatch a channel, or change its mode; its catch-up cursor is kept (a channel
        watched again is caught up from where the bot left it, not from its beginning)."""
        values = {
            "channel_id": channel.channel_id,
            "guild_id": channel.guild_id,
            "watched": channel.watched,
            "mode": channel.mode.value,
            "last_message_id": channel.last_message_id,
            "updated_at": datetime.now(UTC),
        }
        stmt = self._insert(DiscordChannelRow).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[DiscordChannelRow.channel_id],
            set_={
                "guild_id": func.coalesce(stmt.excluded.guild_id, DiscordChannelRow.guild_id),
                "watched": stmt.excluded.watched,
                "mode": stmt.excluded.mode,
                "last_message_id": func.coalesce(
                    DiscordChannelRow.last_message_id, stmt.excluded.last_message_id
                ),
                "updated_at": stmt.excluded.updated_at,
            },
        )
        with unavailable_as_store_error(self.store.url), self._begin() as session:
            session.execute(stmt)

    def add_channels(self, channel_ids: list[int], mode: DiscordMode, cursor: int) -> None:
        """Watch these channels unless a row says otherwise (a moderator's /unwatch stands),
        caught up from `cursor` on (the bot passes "now": not the channel's whole history)."""
        if not channel_ids:
            return
        now = datetime.now(UTC)
        rows = [
            {
                "channel_id": c,
                "watched": True,
                "mode": mode.value,
                "last_message_id": cursor,
                "updated_at": now,
            }
            for c in channel_ids
        ]
        stmt = self._insert(DiscordChannelRow).values(rows).on_conflict_do_nothing()
        with unavailable_as_store_error(self.store.url), self._begin() as session:
            session.execute(stmt)

    # -- handled messages ------------------------------------------------------------------

    def record_handled(
        self,
        channel_id: int,
        guild_id: int | None,
        last_message_id: int,
        message: HandledMessage | None = None,
    ) -> None:
        """In one transaction: remember `message` as handed to the workers (None: it was skipped)
        and move the channel's catch-up cursor to `last_message_id` if that is newer."""
        self.record_many([(channel_id, guild_id, last_message_id, message)])

    def record_many(
        self, handled: list[tuple[int, int | None, int, HandledMessage | None]]
    ) -> None:
        """`record_handled` for many messages in one transaction (the bot's group commit): the
        messages and every channel's newest cursor are stored together or not at all."""
        messages = [_message_values(m) for *_, m in handled if m is not None]
        cursors: dict[int, tuple[int | None, int]] = {}
        for channel_id, guild_id, last_message_id, _ in handled:
            kept = cursors.get(channel_id)
            if kept is None or last_message_id > kept[1]:
                cursors[channel_id] = (guild_id, last_message_id)
        with unavailable_as_store_error(self.store.url), self._begin() as session:
            if messages:
                stmt = self._insert(DiscordMessageRow)
                session.execute(
                    stmt.on_conflict_do_update(
                        index_elements=[DiscordMessageRow.channel_id, DiscordMessageRow.message_id],
                        set_={
                            "review_id": stmt.excluded.review_id,
                            "written_at": stmt.excluded.written_at,
                        },
                    ),
                    messages,
                )
            for channel_id, (guild_id, last_message_id) in cursors.items():
                session.execute(
                    update(DiscordChannelRow)
                    .where(
                        DiscordChannelRow.channel_id == channel_id,
                        (DiscordChannelRow.last_message_id.is_(None))
                        | (DiscordChannelRow.last_message_id < last_message_id),
                    )
                    .values(
                        last_message_id=last_message_id,
                        guild_id=func.coalesce(DiscordChannelRow.guild_id, guild_id),
                    )
                )

    def message(self, channel_id: int, message_id: int) -> HandledMessage | None:
        with unavailable_as_store_error(self.store.url), self._session() as session:
            row = session.get(DiscordMessageRow, (channel_id, message_id))
            return None if row is None else _to_message(row)

    def save_message(self, message: HandledMessage) -> None:
        """Store what the bot did with a verdict (a row the bot had not recorded yet, because it
        stopped between submitting the review and recording it, is created)."""
        values = _message_values(message)
        stmt = self._insert(DiscordMessageRow).values(values)
        kept = {
            # A reply or a mod-log post, once made, stays known: no later write forgets it.
            column: func.coalesce(stmt.excluded[column], DiscordMessageRow.__table__.c[column])
            for column in ("reply_message_id", "escalation_message_id")
        }
        stmt = stmt.on_conflict_do_update(
            index_elements=[DiscordMessageRow.channel_id, DiscordMessageRow.message_id],
            set_={k: v for k, v in values.items() if k not in ("channel_id", "message_id")} | kept,
        )
        with unavailable_as_store_error(self.store.url), self._begin() as session:
            session.execute(stmt)

    def last_written(self, guild_id: int, author_id: int) -> datetime | None:
        """When the member's newest handed-over message was written (their cooldown's start)."""
        with unavailable_as_store_error(self.store.url), self._session() as session:
            return session.scalar(
                select(func.max(DiscordMessageRow.written_at)).where(
                    DiscordMessageRow.guild_id == guild_id,
                    DiscordMessageRow.author_id == author_id,
                )
            )

    def erase_message(self, channel_id: int, message_id: int) -> int:
        """A message was deleted on Discord: erase the stored text of all its reviews (the
        original and every edit). The verdicts stay, without text, for the channel's mood.
        Returns how many reviews had their text erased."""
        with unavailable_as_store_error(self.store.url), self._begin() as session:
            return session.execute(
                update(ReviewRow)
                .where(
                    ReviewRow.source == Source.DISCORD,
                    ReviewRow.chat_id == str(channel_id),
                    ReviewRow.message_id == str(message_id),
                    ReviewRow.text.is_not(None),
                )
                .values(text=None)
            ).rowcount

    def forget_member(self, author_id: int) -> int:
        """Drop the bot's records of a member's messages (/forget; their reviews are deleted by
        the forget job). Returns how many were dropped."""
        with unavailable_as_store_error(self.store.url), self._begin() as session:
            return session.execute(
                delete(DiscordMessageRow).where(DiscordMessageRow.author_id == author_id)
            ).rowcount

    def opted_out_users(self) -> set[str]:
        with unavailable_as_store_error(self.store.url), self._session() as session:
            return set(
                session.scalars(
                    select(OptOutRow.user_id).where(OptOutRow.source == Source.DISCORD)
                ).all()
            )

    # -- the channel's mood ----------------------------------------------------------------

    def mood(self, channel_id: int, since: datetime) -> list[MoodDay]:
        """Per UTC day since `since`: the channel's classified messages and how many were positive
        (each message counted once, with the verdict of its current text)."""
        query = (
            select(DiscordMessageRow.written_at, PredictionRow.label)
            .join(PredictionRow, SERVED_PREDICTION)
            .where(
                DiscordMessageRow.channel_id == channel_id, DiscordMessageRow.written_at >= since
            )
        )
        with unavailable_as_store_error(self.store.url), self._session() as session:
            rows = session.execute(query).all()
        total: Counter[date] = Counter()
        positive: Counter[date] = Counter()
        for written_at, label in rows:
            day = written_at.astimezone(UTC).date()
            total[day] += 1
            positive[day] += label == Label.POSITIVE
        return [MoodDay(day, total[day], positive[day]) for day in sorted(total)]

    def most_negative(self, channel_id: int, since: datetime, limit: int) -> list[NegativeMessage]:
        query = (
            select(
                DiscordMessageRow.guild_id,
                DiscordMessageRow.channel_id,
                DiscordMessageRow.message_id,
                PredictionRow.p_positive,
            )
            .join(PredictionRow, SERVED_PREDICTION)
            .where(
                DiscordMessageRow.channel_id == channel_id,
                DiscordMessageRow.written_at >= since,
                PredictionRow.label == Label.NEGATIVE,
            )
            .order_by(PredictionRow.p_positive, DiscordMessageRow.message_id.desc())
            .limit(limit)
        )
        with unavailable_as_store_error(self.store.url), self._session() as session:
            return [NegativeMessage(*row) for row in session.execute(query).all()]


def _to_channel(row: DiscordChannelRow) -> DiscordChannel:
    return DiscordChannel(
        channel_id=row.channel_id,
        guild_id=row.guild_id,
        watched=row.watched,
        mode=DiscordMode(row.mode),
        last_message_id=row.last_message_id,
    )


def _message_values(message: HandledMessage) -> dict:
    return {
        "channel_id": message.channel_id,
        "message_id": message.message_id,
        "guild_id": message.guild_id,
        "author_id": message.author_id,
        "review_id": message.review_id,
        "written_at": message.written_at,
        "label": message.label,
        "emoji": message.emoji,
        "reply_message_id": message.reply_message_id,
        "escalation_message_id": message.escalation_message_id,
    }


def _to_message(row: DiscordMessageRow) -> HandledMessage:
    return HandledMessage(
        channel_id=row.channel_id,
        message_id=row.message_id,
        guild_id=row.guild_id,
        author_id=row.author_id,
        review_id=row.review_id,
        written_at=row.written_at,
        label=row.label,
        emoji=row.emoji,
        reply_message_id=row.reply_message_id,
        escalation_message_id=row.escalation_message_id,
    )
