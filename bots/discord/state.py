"""The bot's moderation state in memory, backed by the database (storage.discord_state).

One process holds a server's events (Discord sends a server's events to exactly one gateway
connection), so the settings, watched channels, opt-outs and cooldowns are read once at start,
kept here, and written through to the database on every change. The database calls are
synchronous SQLAlchemy; they run in a thread so the event loop keeps serving the gateway.
"""

import asyncio
import logging
from datetime import datetime
from typing import TypeVar

import discord

from reviewbot.messages import DiscordChannel, DiscordGuildConfig, DiscordMode
from storage.discord_state import DiscordState, HandledMessage
from storage.store import Store

log = logging.getLogger(__name__)

T = TypeVar("T")


class ModerationState:
    def __init__(self, store: Store, defaults: DiscordGuildConfig) -> None:
        self.db = DiscordState(store)
        self.store = store
        self.defaults = defaults
        self.configs: dict[int, DiscordGuildConfig] = {}
        self.channels: dict[int, DiscordChannel] = {}
        self.opted_out: set[str] = set()
        #: (guild, member) -> when their newest classified text was written.
        self._last_classified: dict[tuple[int, int], datetime | None] = {}
        #: channel -> the newest message handled in this process (classified or skipped).
        self.handled_upto: dict[int, int] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._unwritten: list[tuple[int, int | None, int, HandledMessage]] = []
        self._writing = asyncio.Lock()

    async def run(self, function, *args):
        """A database call, off the event loop."""
        return await asyncio.to_thread(function, *args)

    async def load(self, watched_from_start: list[int]) -> None:
        # A channel first listed now is caught up from now on, not from its beginning.
        cursor = discord.utils.time_snowflake(discord.utils.utcnow())
        await self.run(self.db.add_channels, watched_from_start, DiscordMode.MONITOR, cursor)
        self.configs = await self.run(self.db.guild_configs)
        self.channels = await self.run(self.db.channels)
        self.opted_out = await self.run(self.db.opted_out_users)
        for channel in self.channels.values():
            if channel.last_message_id is not None:
                self.handled_upto[channel.channel_id] = channel.last_message_id
        log.info(
            "watching %d channels; %d servers have settings of their own",
            len(self.watched()),
            len(self.configs),
        )

    def config(self, guild_id: int | None) -> DiscordGuildConfig:
        if guild_id is None:
            return self.defaults
        return self.configs.get(guild_id, self.defaults)

    async def save_config(self, guild_id: int, config: DiscordGuildConfig) -> None:
        await self.run(self.db.save_guild_config, guild_id, config)
        self.configs[guild_id] = config

    def watched(self) -> list[DiscordChannel]:
        return [channel for channel in self.channels.values() if channel.watched]

    def channel(self, channel_id: int) -> DiscordChannel | None:
        channel = self.channels.get(channel_id)
        return channel if channel is not None and channel.watched else None

    async def save_channel(self, channel: DiscordChannel) -> DiscordChannel:
        await self.run(self.db.save_channel, channel)
        kept = self.channels.get(channel.channel_id)
        if kept is not None:
            channel = channel.model_copy(update={"last_message_id": kept.last_message_id})
        self.channels[channel.channel_id] = channel
        return channel

    async def set_opted_out(self, source, user_id: str, opted_out: bool) -> None:
        await self.run(self.store.set_opted_out, source, user_id, opted_out)
        (self.opted_out.add if opted_out else self.opted_out.discard)(user_id)

    def lock(self, channel_id: int) -> asyncio.Lock:
        """Messages of one channel are handled one at a time, in order, so "the newest message
        handled" means every older one was handled too (the catch-up cursor)."""
        return self._locks.setdefault(channel_id, asyncio.Lock())

    async def last_classified(self, guild_id: int, author_id: int) -> datetime | None:
        key = (guild_id, author_id)
        if key not in self._last_classified:
            self._last_classified[key] = await self.run(self.db.last_written, guild_id, author_id)
        return self._last_classified[key]

    def classified(self, guild_id: int, author_id: int, written_at: datetime) -> None:
        key = (guild_id, author_id)
        last = self._last_classified.get(key)
        if last is None or written_at > last:
            self._last_classified[key] = written_at

    def record_handled(
        self, channel_id: int, guild_id: int | None, message_id: int, message: HandledMessage | None
    ) -> None:
        """Remember a handled message (call with the channel's lock held, so a channel's records
        queue in order); `flush()` writes it. The database's cursor moves only for classified
        ones: a skipped one is decided the same way again by a catch-up, at no cost."""
        if message is not None:
            self._unwritten.append((channel_id, guild_id, message_id, message))
            channel = self.channels.get(channel_id)
            if channel is not None:
                self.channels[channel_id] = channel.model_copy(
                    update={
                        "last_message_id": max(channel.last_message_id or 0, message_id),
                        "guild_id": channel.guild_id or guild_id,
                    }
                )
        self.handled_upto[channel_id] = max(self.handled_upto.get(channel_id, 0), message_id)

    async def flush(self) -> None:
        """Write the queued records, several messages per transaction (group commit: measured
        with one SQLite commit per message under the channel's lock, a channel turned around
        ~100 messages/s on a loaded 2-core box). Returns once what was queued before the call
        is written. Each write is a prefix of the queue in one transaction, so a crash loses
        only the newest records, which the catch-up then submits again under the same ids."""
        async with self._writing:
            if not self._unwritten:
                return  # a flush that ran while this one waited wrote them
            batch, self._unwritten = self._unwritten, []
            try:
                await self.run(self.db.record_many, batch)
            except BaseException:
                self._unwritten[:0] = batch  # kept for the next flush
                raise

    def forget_cooldowns_of(self, author_id: int) -> None:
        for key in [key for key in self._last_classified if key[1] == author_id]:
            del self._last_classified[key]
