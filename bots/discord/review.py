"""/review text: the verdict on any text, anywhere (servers and DMs), ephemeral by default."""

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bots.discord.access import language_of
from bots.discord.decision import clean, interaction_review_id
from frontend.client import ResultTimeout
from frontend.ratelimit import RateLimiter
from frontend.texts import sentence, submit_error_text, verdict_text
from reviewbot.messages import Review, Source
from reviewbot.validation import EmptyReview, SubmitError, check_text

log = logging.getLogger(__name__)


class ReviewCommand(commands.Cog):
    def __init__(self, bot) -> None:
        self.bot = bot
        settings = bot.settings
        self.limiter = RateLimiter(
            bot.redis, "discord-review", settings.review_rate_limit, settings.review_rate_window_s
        )

    @app_commands.command(description="Classify the sentiment of a movie review.")
    @app_commands.describe(
        text="The review (English or Spanish)", public="Show the answer to everyone in the channel"
    )
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    @app_commands.allowed_installs(guilds=True, users=True)
    async def review(
        self, interaction: discord.Interaction, text: str, public: bool = False
    ) -> None:
        lang = language_of(interaction)
        user_id = str(interaction.user.id)

        async def answer(message: str) -> None:
            await interaction.response.send_message(message, ephemeral=True)

        if user_id in self.bot.state.opted_out:
            await answer(sentence("opted_out", lang))
            return
        cleaned = clean(text)
        try:
            if not cleaned:
                raise EmptyReview()
            check_text(cleaned, self.bot.review_client.settings.max_review_chars)
        except SubmitError as error:
            await answer(submit_error_text(error, lang))
            return
        wait_s = await self.limiter.hit(user_id)
        if wait_s:
            await answer(sentence("rate_limited", lang, seconds=wait_s))
            return
        review = Review(
            id=interaction_review_id(interaction.id),
            text=cleaned,
            source=Source.DISCORD,
            chat_id=str(interaction.channel_id) if interaction.channel_id else None,
            user_id=user_id,
            message_id=str(interaction.id),
        )
        try:
            await self.bot.review_client.submit(review)
        except SubmitError as error:  # Busy: "try again in N s"
            await answer(submit_error_text(error, lang))
            return
        await interaction.response.defer(ephemeral=not public, thinking=True)
        timeout = self.bot.settings.review_timeout_s
        try:
            verdict = await self.bot.review_client.wait_result(review.id, timeout)
            message = verdict_text(verdict, lang)
        except ResultTimeout:
            message = sentence("timeout", lang, seconds=f"{timeout:g}")
        await interaction.followup.send(message, ephemeral=not public)


async def setup(bot) -> None:
    await bot.add_cog(ReviewCommand(bot))
