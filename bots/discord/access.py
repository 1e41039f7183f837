"""Who may do what: moderators of a server, and the permissions the bot needs in a channel."""

import discord
from discord import app_commands

from frontend.texts import interface_language, sentence
from reviewbot.messages import DiscordGuildConfig, Language

#: What the bot needs in a watched channel, with the name Discord's settings show.
WATCH_PERMISSIONS = {
    "view_channel": "View Channel",
    "read_message_history": "Read Message History",
    "add_reactions": "Add Reactions",
}
READ_PERMISSIONS = {
    "view_channel": "View Channel",
    "read_message_history": "Read Message History",
}
REPLY_PERMISSIONS = {"send_messages": "Send Messages"}
MOD_LOG_PERMISSIONS = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
}


class NotModerator(app_commands.CheckFailure):
    """The member may not use a moderator command; answered with a refusal, not a trace."""


class NotInServer(app_commands.CheckFailure):
    pass


def language_of(interaction: discord.Interaction) -> Language:
    return interface_language(str(interaction.locale) if interaction.locale else None)


def missing(permissions: discord.Permissions, needed: dict[str, str]) -> list[str]:
    """The names of the `needed` permissions that `permissions` lack."""
    return [name for flag, name in needed.items() if not getattr(permissions, flag)]


def bot_permissions(channel: discord.abc.GuildChannel) -> discord.Permissions:
    me = channel.guild.me
    return channel.permissions_for(me) if me is not None else discord.Permissions.none()


def is_moderator(
    interaction: discord.Interaction, config: DiscordGuildConfig, moderator_role: str = ""
) -> bool:
    """Manage Server (or Administrator), the server's moderator role, or the deployment's
    moderator role (REVIEWBOT_DISCORD_MODERATOR_ROLE, a name or an id)."""
    user = interaction.user
    if not isinstance(user, discord.Member):
        return False
    permissions = interaction.permissions
    if permissions.manage_guild or permissions.administrator:
        return True
    for role in user.roles:
        if config.moderator_role_id is not None and role.id == config.moderator_role_id:
            return True
        if moderator_role and moderator_role in (role.name, str(role.id)):
            return True
    return False


def moderators_only():
    """app_commands check: moderators of the server only; others get a refusal."""

    async def predicate(interaction: discord.Interaction) -> bool:
        if interaction.guild_id is None:
            raise NotInServer(sentence("server_only", language_of(interaction)))
        bot = interaction.client
        config = bot.state.config(interaction.guild_id)
        if not is_moderator(interaction, config, bot.settings.moderator_role):
            raise NotModerator(sentence("moderators_only", language_of(interaction)))
        return True

    return app_commands.check(predicate)
