"""Watching: every message in a watched channel that looks like a review is handed to the
workers, once; edits are classified again, deletions erase the stored text.

Messages of one channel are handled one at a time and in order (ModerationState.lock), so the
channel's cursor (the newest message handled) tells the catch-up where to start after a
restart, and a message that arrives both live and through the catch-up is handled once.
"""

import asyncio
import logging
from datetime import datetime

import discord
from discord.ext import commands

from bots.discord.decision import MessageFacts, decide, message_review_id
from frontend.client import AsyncReviewClient
from reviewbot.messages import Review, Source
from reviewbot.validation import Busy, InvalidReview
from storage.discord_state import HandledMessage

log = logging.getLogger(__name__)

MEMBER_MESSAGE_TYPES = (discord.MessageType.default, discord.MessageType.reply)
#: A full queue is waited out (the workers catch up), at most this many times per message.
BUSY_RETRIES = 10


def facts_of(
    message: discord.Message, written_at: datetime, role_ids: frozenset[int] | None = None
) -> MessageFacts:
    """The decision's view of a message; `role_ids` for an author known only as a User (a
    message read from history carries no member data)."""
    author = message.author
    if role_ids is None:
        role_ids = frozenset(role.id for role in getattr(author, "roles", None) or [])
    return MessageFacts(
        channel_id=message.channel.id,
        author_id=author.id,
        content=message.content or "",
        written_at=written_at,
        author_is_bot=author.bot or message.webhook_id is not None,
        is_member_message=message.type in MEMBER_MESSAGE_TYPES,
        author_role_ids=role_ids,
    )


def guild_of(message: discord.Message) -> int | None:
    """The server of a message; also for a server discord.py has not cached (its channel is
    then a PartialMessageable that knows the server's id). None in DMs."""
    if message.guild is not None:
        return message.guild.id
    return getattr(message.channel, "guild_id", None)


class Watching(commands.Cog):
    def __init__(self, bot) -> None:
        self.bot = bot
        self.state = bot.state
        self.client: AsyncReviewClient = bot.review_client

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if guild_of(message) is None or self.state.channel(message.channel.id) is None:
            return
        await self.handle(message)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        message = payload.message
        if guild_of(message) is None or self.state.channel(payload.channel_id) is None:
            return
        if message.edited_at is None or "content" not in payload.data:
            return  # an embed unfurled, a pin: not a new text
        await self.handle(message, edited=True)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        erased = await self.state.run(
            self.state.db.erase_message, payload.channel_id, payload.message_id
        )
        if erased:
            log.info("message %s deleted: its stored text was erased", payload.message_id)

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        for message_id in payload.message_ids:
            await self.state.run(self.state.db.erase_message, payload.channel_id, message_id)

    async def handle(self, message: discord.Message, *, edited: bool = False) -> bool:
        """Decide about one message (or an edit of it) and hand it to the workers if it is a
        review. Returns whether it was handed over."""
        async with self.state.lock(message.channel.id):
            handed = await self.handle_locked(message, edited=edited)
        # Written after the lock is released: the next message of the channel need not wait
        # for this one's commit, and one transaction takes what several channels queued.
        await self.state.flush()
        return handed

    async def handle_locked(
        self,
        message: discord.Message,
        *,
        edited: bool = False,
        role_ids: frozenset[int] | None = None,
    ) -> bool:
        """`handle`, with the channel's lock already held (the catch-up holds it for a whole
        channel, so live messages wait until the history before them is handled)."""
        channel_id = message.channel.id
        channel = self.state.channel(channel_id)
        if channel is None:
            return False
        if not edited and message.id <= self.state.handled_upto.get(channel_id, 0):
            return False  # seen live and in the catch-up: handled once
        written_at = message.edited_at if edited else message.created_at
        review_id = message_review_id(channel_id, message.id, message.edited_at if edited else None)
        guild_id = guild_of(message)
        if edited:
            row = await self.state.run(self.state.db.message, channel_id, message.id)
            if row is not None and row.review_id == review_id:
                return False  # this edit was handled already
        config = self.state.config(guild_id)
        decision = decide(
            facts_of(message, written_at, role_ids),
            channel,
            config,
            opted_out=str(message.author.id) in self.state.opted_out,
            last_classified_at=await self.state.last_classified(guild_id, message.author.id),
            command_prefixes=self.bot.settings.command_prefixes,
        )
        record = None
        if decision.classify:
            review = Review(
                id=review_id,
                text=decision.text,
                source=Source.DISCORD,
                chat_id=str(channel_id),
                user_id=str(message.author.id),
                message_id=str(message.id),
                reply_to=self.bot.settings.reply_stream,
                received_at=written_at,
            )
            if await self._submit(review):
                self.state.classified(guild_id, message.author.id, written_at)
                record = HandledMessage(
                    channel_id=channel_id,
                    message_id=message.id,
                    guild_id=guild_id,
                    author_id=message.author.id,
                    review_id=review_id,
                    written_at=written_at,
                )
        else:
            log.debug("message %s not classified: %s", message.id, decision.skip)
        self.state.record_handled(channel_id, guild_id, message.id, record)
        return record is not None

    async def _submit(self, review: Review) -> bool:
        """Queue the review, waiting out a full queue. A review the validation refuses (binary
        characters in a message) is skipped: there is nobody to tell in monitor mode."""
        for _ in range(BUSY_RETRIES):
            try:
                await self.client.submit(review)
                return True
            except Busy as busy:
                log.warning("review queue full; retrying %s in %d s", review.id, busy.retry_after_s)
                await asyncio.sleep(busy.retry_after_s)
            except InvalidReview as invalid:
                log.info("message review %s not classified: %s", review.id, invalid.message)
                return False
        log.error("review queue stayed full; message review %s was not classified", review.id)
        return False


async def setup(bot) -> None:
    await bot.add_cog(Watching(bot))
