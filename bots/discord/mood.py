"""/mood [channel] [days]: a channel's daily positive rate and volume as a PNG chart; moderators
also get links to the most negative recent messages. Ephemeral."""

import asyncio
import io
from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bots.discord.access import READ_PERMISSIONS, is_moderator, language_of
from bots.discord.escalation import jump_url
from bots.discord.moderation import permission_problem
from bots.discord.mood_chart import mood_png
from frontend.texts import sentence


class Mood(commands.Cog):
    def __init__(self, bot) -> None:
        self.bot = bot
        self.state = bot.state

    @app_commands.command(description="The mood of a channel: daily positive rate and volume.")
    @app_commands.describe(channel="The channel (default: this one)", days="How many days back")
    @app_commands.guild_only()
    async def mood(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        days: app_commands.Range[int, 1, 3650] | None = None,
    ) -> None:
        lang = language_of(interaction)
        settings = self.bot.settings
        target = channel or interaction.channel
        days = min(days or settings.mood_days, settings.mood_max_days)
        problem = permission_problem(target, READ_PERMISSIONS, lang)
        if problem:
            await interaction.response.send_message(problem, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = discord.utils.utcnow()
        since = (now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
        history = await self.state.run(self.state.db.mood, target.id, since)
        if not history:
            await interaction.followup.send(
                sentence("mood_empty", lang, channel=target.mention, days=days), ephemeral=True
            )
            return
        reviews = sum(d.reviews for d in history)
        positive = sum(d.positive for d in history)
        lines = [
            sentence(
                "mood_summary",
                lang,
                channel=target.mention,
                days=days,
                reviews=reviews,
                rate=f"{positive / reviews:.0%}",
            )
        ]
        config = self.state.config(interaction.guild_id)
        if settings.mood_negative_links and is_moderator(
            interaction, config, settings.moderator_role
        ):
            negatives = await self.state.run(
                self.state.db.most_negative, target.id, since, settings.mood_negative_links
            )
            if negatives:
                lines.append(sentence("mood_negative", lang))
                lines += [
                    f"- {jump_url(n.guild_id or interaction.guild_id, n.channel_id, n.message_id)}"
                    f" ({1 - n.p_positive:.2f})"
                    for n in negatives
                ]
        png = await asyncio.to_thread(
            mood_png,
            history,
            since.date(),
            now.date(),
            sentence("mood_chart_title", lang, channel=getattr(target, "name", target.id)),
            sentence("mood_rate_axis", lang),
            sentence("mood_volume_axis", lang),
        )
        await interaction.followup.send(
            "\n".join(lines),
            file=discord.File(io.BytesIO(png), filename="mood.png"),
            ephemeral=True,
        )


async def setup(bot) -> None:
    await bot.add_cog(Mood(bot))
