"""Moderation commands: /watch, /unwatch, /settings, /exempt (moderators of the server only).

Every answer is ephemeral: a moderator's configuration is nobody else's business, and it keeps
the channel quiet.
"""

import logging
from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import ValidationError

from bots.discord.access import (
    MOD_LOG_PERMISSIONS,
    REPLY_PERMISSIONS,
    WATCH_PERMISSIONS,
    bot_permissions,
    language_of,
    missing,
    moderators_only,
)
from frontend.texts import sentence
from reviewbot.messages import DiscordChannel, DiscordGuildConfig, DiscordMode, Language

log = logging.getLogger(__name__)

Mode = Literal["monitor", "reply", "escalate"]


def permission_problem(
    channel: discord.abc.GuildChannel, needed: dict[str, str], lang: Language
) -> str | None:
    """The sentence naming the permission the bot lacks in `channel`, or None."""
    resolved = channel.guild.get_channel(channel.id) if channel.guild else None
    if resolved is None:
        return sentence("cannot_read_channel", lang, channel=channel.mention)
    lacking = missing(bot_permissions(resolved), needed)
    if not lacking:
        return None
    if "View Channel" in lacking or "Read Message History" in lacking:
        return sentence("cannot_read_channel", lang, channel=channel.mention)
    return sentence("missing_permission", lang, permission=lacking[0], channel=channel.mention)


def settings_text(bot, guild: discord.Guild, lang: Language) -> str:
    config = bot.state.config(guild.id)
    none = sentence("none", lang)
    watched = [
        f"<#{c.channel_id}> ({c.mode.value})"
        for c in bot.state.watched()
        if c.guild_id == guild.id or guild.get_channel(c.channel_id) is not None
    ]
    return sentence(
        "settings",
        lang,
        channels=", ".join(watched) or none,
        moderator_role=f"<@&{config.moderator_role_id}>" if config.moderator_role_id else none,
        mod_log=f"<#{config.mod_log_channel_id}>" if config.mod_log_channel_id else none,
        exempt=", ".join(f"<@&{r}>" for r in config.exempt_role_ids) or none,
        cooldown=f"{config.cooldown_s:g}",
        min_chars=config.min_chars,
        max_chars=config.max_chars,
        positive=config.emoji_positive,
        negative=config.emoji_negative,
        unsure=config.emoji_unsure,
        band=f"{config.unsure_band:g}",
        wrong=config.emoji_wrong,
        escalate=f"{config.escalate_confidence:g}",
    )


def validation_problem(error: ValidationError) -> str:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    return f"{field}: {first['msg']}"


@app_commands.guild_only()
class Moderation(commands.Cog):
    def __init__(self, bot) -> None:
        self.bot = bot
        self.state = bot.state

    async def _answer(self, interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @app_commands.command(description="Watch a channel: every review there gets a reaction.")
    @app_commands.describe(
        channel="The channel to watch",
        mode="monitor: react only; reply: also answer; escalate: also alert the mod-log",
    )
    @moderators_only()
    async def watch(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel,
        mode: Mode | None = None,
    ) -> None:
        lang = language_of(interaction)
        chosen = DiscordMode(mode) if mode else self.bot.settings.default_mode
        needed = dict(WATCH_PERMISSIONS)
        if chosen == DiscordMode.REPLY:
            needed |= REPLY_PERMISSIONS
        problem = permission_problem(channel, needed, lang)
        if problem:
            await self._answer(interaction, problem)
            return
        existing = self.state.channels.get(channel.id)
        cursor = existing.last_message_id if existing else None
        await self.state.save_channel(
            DiscordChannel(
                channel_id=channel.id,
                guild_id=interaction.guild_id,
                watched=True,
                mode=chosen,
                # A newly watched channel is caught up from now on, not from its beginning.
                last_message_id=cursor or discord.utils.time_snowflake(discord.utils.utcnow()),
            )
        )
        text = sentence("watch_done", lang, channel=channel.mention, mode=chosen.value)
        if chosen == DiscordMode.ESCALATE:
            config = self.state.config(interaction.guild_id)
            if config.mod_log_channel_id is None:
                text += "\n" + sentence("watch_needs_mod_log", lang)
            # The "delete message" button needs it; the mode works without, so this is a warning.
            if not bot_permissions(interaction.guild.get_channel(channel.id)).manage_messages:
                text += "\n" + sentence(
                    "missing_permission",
                    lang,
                    permission="Manage Messages",
                    channel=channel.mention,
                )
        await self._answer(interaction, text)

    @app_commands.command(description="Stop watching a channel.")
    @app_commands.describe(channel="The channel to stop watching")
    @moderators_only()
    async def unwatch(self, interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        lang = language_of(interaction)
        current = self.state.channel(channel.id)
        if current is None:
            await self._answer(interaction, sentence("not_watched", lang, channel=channel.mention))
            return
        await self.state.save_channel(current.model_copy(update={"watched": False}))
        await self._answer(interaction, sentence("unwatch_done", lang, channel=channel.mention))

    @app_commands.command(
        name="settings", description="Show this server's ReviewBot settings, or change them."
    )
    @app_commands.describe(
        mod_log="Where escalate mode posts confident negatives",
        moderator_role="Members with this role may configure the bot",
        cooldown="Seconds after a member's classified message before their next one counts",
        min_length="Shortest message (characters) that counts as a review",
        max_length="Longest message (characters) that counts as a review",
        positive_emoji="Reaction for a positive review",
        negative_emoji="Reaction for a negative review",
        unsure_emoji="Reaction when the model is unsure",
        wrong_emoji="Reaction members use to say a verdict is wrong",
        unsure_band="Unsure when P(positive) is within this of the threshold (0 to 0.5)",
        escalate_confidence="Escalate negatives at least this confident (0.5 to 1)",
    )
    @moderators_only()
    async def settings_command(
        self,
        interaction: discord.Interaction,
        mod_log: discord.TextChannel | None = None,
        moderator_role: discord.Role | None = None,
        cooldown: app_commands.Range[float, 0.0, 86400.0] | None = None,
        min_length: app_commands.Range[int, 1, 4000] | None = None,
        max_length: app_commands.Range[int, 1, 4000] | None = None,
        positive_emoji: str | None = None,
        negative_emoji: str | None = None,
        unsure_emoji: str | None = None,
        wrong_emoji: str | None = None,
        unsure_band: app_commands.Range[float, 0.0, 0.5] | None = None,
        escalate_confidence: app_commands.Range[float, 0.5, 1.0] | None = None,
    ) -> None:
        lang = language_of(interaction)
        changes = {
            "mod_log_channel_id": mod_log.id if mod_log else None,
            "moderator_role_id": moderator_role.id if moderator_role else None,
            "cooldown_s": cooldown,
            "min_chars": min_length,
            "max_chars": max_length,
            "emoji_positive": positive_emoji and positive_emoji.strip(),
            "emoji_negative": negative_emoji and negative_emoji.strip(),
            "emoji_unsure": unsure_emoji and unsure_emoji.strip(),
            "emoji_wrong": wrong_emoji and wrong_emoji.strip(),
            "unsure_band": unsure_band,
            "escalate_confidence": escalate_confidence,
        }
        changes = {key: value for key, value in changes.items() if value not in (None, "")}
        saved = ""
        if changes:
            if mod_log is not None:
                problem = permission_problem(mod_log, MOD_LOG_PERMISSIONS, lang)
                if problem:
                    await self._answer(interaction, problem)
                    return
            config = self.state.config(interaction.guild_id)
            try:
                updated = DiscordGuildConfig.model_validate(config.model_dump() | changes)
                if updated.min_chars > updated.max_chars:
                    raise ValueError("min_length is above max_length")
            except (ValidationError, ValueError) as error:
                problem = (
                    validation_problem(error) if isinstance(error, ValidationError) else str(error)
                )
                await self._answer(interaction, sentence("settings_invalid", lang, problem=problem))
                return
            await self.state.save_config(interaction.guild_id, updated)
            saved = sentence("settings_saved", lang) + "\n"
        await self._answer(interaction, saved + settings_text(self.bot, interaction.guild, lang))

    @app_commands.command(description="Exempt a role: its members' messages are not classified.")
    @app_commands.describe(role="The role", remove="Classify this role's messages again")
    @moderators_only()
    async def exempt(
        self, interaction: discord.Interaction, role: discord.Role, remove: bool = False
    ) -> None:
        lang = language_of(interaction)
        config = self.state.config(interaction.guild_id)
        roles = set(config.exempt_role_ids)
        (roles.discard if remove else roles.add)(role.id)
        await self.state.save_config(
            interaction.guild_id,
            config.model_copy(update={"exempt_role_ids": tuple(sorted(roles))}),
        )
        key = "exempt_removed" if remove else "exempt_added"
        await self._answer(interaction, sentence(key, lang, role=role.mention))


async def setup(bot) -> None:
    await bot.add_cog(Moderation(bot))
