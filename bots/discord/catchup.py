"""Catch-up: what was posted in the watched channels while the bot was away.

On start, and after a gateway reconnect that could not resume (READY again, so on_ready), each
watched channel's history after its cursor (the newest message the bot handed over) is read
with REST `GET /channels/{id}/messages?after=...`, oldest first, and handled like live
messages. The channel's lock is held for the whole pass, so a message posted meanwhile waits
until the history before it is handled; one that comes both ways is handled once (watching.py).
"""

import logging

import discord

from reviewbot.messages import DiscordChannel

log = logging.getLogger(__name__)


async def catch_up(bot, channel: DiscordChannel) -> int:
    """Handle the channel's messages after its cursor; how many were handed to the workers."""
    state, watching = bot.state, bot.get_cog("Watching")
    live = bot.get_channel(channel.channel_id)
    if not isinstance(live, discord.abc.Messageable) or not hasattr(live, "guild"):
        log.warning(
            "cannot catch up on channel %s: not in a server the bot is in (or not a text channel)",
            channel.channel_id,
        )
        return 0
    handed = 0
    members: dict[int, frozenset[int] | None] = {}
    async with state.lock(channel.channel_id):
        current = state.channel(channel.channel_id)
        if current is None or current.last_message_id is None:
            return 0
        after = discord.Object(current.last_message_id)
        try:
            async for message in live.history(
                limit=bot.settings.catchup_max_messages or None, after=after, oldest_first=True
            ):
                exempting = bool(state.config(live.guild.id).exempt_role_ids)
                role_ids = await _role_ids(live.guild, message, members) if exempting else None
                handed += await watching.handle_locked(message, role_ids=role_ids)
                await state.flush()
        except discord.Forbidden:
            log.warning(
                "cannot catch up on #%s (%s): the bot lacks View Channel or Read Message History",
                live.name,
                live.id,
            )
        except discord.HTTPException as exc:
            log.warning("catch-up of channel %s stopped: %s %s", live.id, exc.status, exc.text)
    if handed:
        log.info("caught up on #%s: %d messages handed to the workers", live.name, handed)
    return handed


async def _role_ids(
    guild: discord.Guild, message: discord.Message, members: dict[int, frozenset[int] | None]
) -> frozenset[int] | None:
    """A history message carries its author as a User; exempt roles need the Member (fetched
    once per author and pass; only asked when the server exempts some role)."""
    if isinstance(message.author, discord.Member) or message.author.bot:
        return None
    author_id = message.author.id
    if author_id not in members:
        member = guild.get_member(author_id)
        if member is None:
            try:
                member = await guild.fetch_member(author_id)
            except discord.HTTPException:
                member = None  # left the server: no roles
        members[author_id] = frozenset(r.id for r in member.roles) if member else frozenset()
    return members[author_id]


async def catch_up_all(bot) -> int:
    total = 0
    for channel in list(bot.state.watched()):
        total += await catch_up(bot, channel)
    return total
