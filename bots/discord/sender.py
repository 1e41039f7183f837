"""The reply sender: a verdict from the bot's reply stream becomes one reaction on the message
(and, by the channel's mode, a short reply or a post to the moderators).

Called by frontend.replies.ReplyConsumer, which acks the entry only after `handle` returned, so
a verdict is turned into a reaction after a restart too. Each side effect is recorded in the
database as soon as Discord accepted it, so a retried verdict does not post a reply or an
escalation twice; adding the same reaction twice is a no-op on Discord. A 403 or 404 (message
deleted, permission removed) is final: ReplyRefused, logged and acked. A 429 never gets here:
discord.py waits and retries it.
"""

import asyncio
import logging
from dataclasses import replace

import discord

from bots.discord.decision import (
    parse_message_review_id,
    reaction_for,
    review_version,
    should_escalate,
)
from bots.discord.escalation import escalation_post
from frontend.replies import ReplyRefused
from frontend.texts import interface_language, verdict_text
from reviewbot.messages import DiscordMode, Language, Verdict
from storage.discord_state import HandledMessage

log = logging.getLogger(__name__)


class ReplySender:
    def __init__(self, bot) -> None:
        self.bot = bot
        self.state = bot.state
        self._locks: dict[tuple[int, int], asyncio.Lock] = {}

    def language(self, guild_id: int | None) -> Language:
        guild = self.bot.get_guild(guild_id) if guild_id else None
        return interface_language(str(guild.preferred_locale) if guild else None)

    async def handle(self, verdict: Verdict) -> None:
        review = verdict.review
        ids = parse_message_review_id(review.id)
        if ids is None:
            log.warning("reply stream has a review that is not a watched message: %s", review.id)
            return
        # One verdict of a message at a time: a delivery retried while the first is still on
        # its way (claimed after reply_claim_idle_ms) then sees what the first did.
        lock = self._locks.setdefault(ids, asyncio.Lock())
        try:
            async with lock:
                await self._handle(verdict, *ids)
        finally:
            if not lock.locked():
                self._locks.pop(ids, None)

    async def _handle(self, verdict: Verdict, channel_id: int, message_id: int) -> None:
        review = verdict.review
        row = await self.state.run(self.state.db.message, channel_id, message_id)
        if row is not None and review_version(row.review_id) > review_version(review.id):
            log.debug("verdict of %s is stale: the message was edited since", review.id)
            return
        if verdict.prediction is None:
            log.warning("review %s got no verdict: %s", review.id, verdict.error)
            return
        channel = self.state.channels.get(channel_id)
        guild_id = (row.guild_id if row else None) or (channel.guild_id if channel else None)
        if row is None:  # the bot stopped between submitting the review and recording it
            row = HandledMessage(
                channel_id=channel_id,
                message_id=message_id,
                guild_id=guild_id,
                author_id=int(review.user_id or 0),
                review_id=review.id,
                written_at=review.received_at,
            )
        config = self.state.config(guild_id)
        prediction = verdict.prediction
        emoji = reaction_for(prediction, config)
        target = self.bot.get_partial_messageable(
            channel_id, guild_id=guild_id
        ).get_partial_message(message_id)
        try:
            if row.emoji is not None and row.emoji != emoji:
                await self._remove_own_reaction(target, row.emoji)
            if row.emoji != emoji or row.label != prediction.label:
                await target.add_reaction(emoji)
                row = replace(row, review_id=review.id, emoji=emoji, label=prediction.label)
                await self.state.run(self.state.db.save_message, row)
                await self.state.run(self.state.store.mark_replied, [review.id])
            mode = channel.mode if channel is not None else DiscordMode.MONITOR
            if mode == DiscordMode.REPLY:
                row = await self._reply(target, row, verdict)
            if mode == DiscordMode.ESCALATE and should_escalate(prediction, config):
                row = await self._escalate(row, verdict, config)
        except discord.NotFound as exc:
            erased = await self.state.run(self.state.db.erase_message, channel_id, message_id)
            raise ReplyRefused(
                f"message {message_id} in channel {channel_id} is gone ({exc.text or exc.status}); "
                f"{erased} stored texts erased"
            ) from None
        except discord.Forbidden as exc:
            raise ReplyRefused(
                f"no permission in channel {channel_id} ({exc.text or exc.status}): the bot needs "
                "View Channel, Read Message History and Add Reactions there"
            ) from None

    async def _remove_own_reaction(self, target: discord.PartialMessage, emoji: str) -> None:
        try:
            await self.bot.http.remove_own_reaction(target.channel.id, target.id, emoji)
        except discord.NotFound:
            pass  # already gone: the state we want

    async def _reply(
        self, target: discord.PartialMessage, row: HandledMessage, verdict: Verdict
    ) -> HandledMessage:
        text = verdict_text(verdict, self.language(row.guild_id))
        if row.reply_message_id is not None:
            reply = target.channel.get_partial_message(row.reply_message_id)
            try:
                await reply.edit(content=text)
                return row
            except discord.NotFound:
                pass  # the reply was deleted: send a new one
        sent = await target.reply(
            text, mention_author=False, allowed_mentions=discord.AllowedMentions.none()
        )
        row = replace(row, reply_message_id=sent.id)
        await self.state.run(self.state.db.save_message, row)
        return row

    async def _escalate(self, row: HandledMessage, verdict: Verdict, config) -> HandledMessage:
        if row.escalation_message_id is not None:
            return row
        if config.mod_log_channel_id is None:
            log.warning(
                "escalate mode in channel %s but the server has no mod-log channel", row.channel_id
            )
            return row
        mod_log = self.bot.get_partial_messageable(config.mod_log_channel_id, guild_id=row.guild_id)
        content, embed, view = escalation_post(row, verdict, self.language(row.guild_id))
        try:
            sent = await mod_log.send(content=content, embed=embed, view=view)
        except (discord.Forbidden, discord.NotFound) as exc:
            # The reaction is in place; a mod-log the bot cannot post to must not undo that.
            log.warning(
                "cannot post to mod-log channel %s: %s", config.mod_log_channel_id, exc.text
            )
            return row
        row = replace(row, escalation_message_id=sent.id)
        await self.state.run(self.state.db.save_message, row)
        return row
