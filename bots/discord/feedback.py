"""Feedback: a member reacting with the server's "wrong" emoji on a classified message says the
bot's label is wrong; taking the reaction back withdraws the vote.

Raw reaction events, so messages no longer in the cache count too. One vote per member and
message (Store.add_feedback replaces an earlier one); the bot's own reactions are ignored.
"""

import logging

import discord
from discord.ext import commands

from bots.discord.decision import corrected_label

log = logging.getLogger(__name__)


class Feedback(commands.Cog):
    def __init__(self, bot) -> None:
        self.bot = bot
        self.state = bot.state

    async def _row(self, payload: discord.RawReactionActionEvent):
        if payload.guild_id is None or (self.bot.user and payload.user_id == self.bot.user.id):
            return None
        if str(payload.emoji) != self.state.config(payload.guild_id).emoji_wrong:
            return None
        if str(payload.user_id) in self.state.opted_out:
            return None
        row = await self.state.run(self.state.db.message, payload.channel_id, payload.message_id)
        if row is None or row.label is None:
            return None  # not a classified message (yet)
        return row

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        row = await self._row(payload)
        if row is None:
            return
        try:
            await self.state.run(
                self.state.store.add_feedback,
                row.review_id,
                str(payload.user_id),
                corrected_label(row.label),
            )
        except KeyError:
            log.info("feedback on %s not stored: the review is not stored", row.review_id)
            return
        log.info("feedback: member %s says %s is wrong", payload.user_id, row.review_id)

    @commands.Cog.listener()
    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        row = await self._row(payload)
        if row is not None:
            await self.state.run(
                self.state.store.remove_feedback, row.review_id, str(payload.user_id)
            )


async def setup(bot) -> None:
    await bot.add_cog(Feedback(bot))
