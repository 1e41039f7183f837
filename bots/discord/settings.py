"""Settings of the Discord bot (prefix REVIEWBOT_DISCORD_).

The moderation settings here are the defaults of a server nobody configured; a server's
moderators change theirs with /settings, stored in the database (storage.discord_state).
"""

import yarl
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from reviewbot.messages import DiscordGuildConfig, DiscordMode
from reviewbot.settings import room_config

DISCORD_API = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"


class DiscordSettings(BaseSettings):
    model_config = room_config("REVIEWBOT_DISCORD_")

    #: The bot's token (Discord developer portal, Bot tab). A secret: never logged.
    token: SecretStr = SecretStr("")
    #: Discord's REST API; point it at a Discord-compatible server (or a test fake).
    api_base_url: str = DISCORD_API
    #: Discord's gateway (websocket); with api_base_url, for Discord-compatible servers.
    gateway_url: str = DISCORD_GATEWAY
    #: Channel ids (comma-separated) watched from the start in monitor mode, so a compose file
    #: carries its configuration; /watch and /unwatch change it from there.
    watched_channels: str = ""
    #: Mode of a channel /watch adds without naming one: monitor, reply or escalate.
    default_mode: DiscordMode = DiscordMode.MONITOR
    #: Members with a role of this name (or id) moderate the bot in every server, besides those
    #: with Manage Server; a server can name its own with /settings moderator_role.
    moderator_role: str = ""
    #: Defaults of a server's moderation settings (see /settings).
    cooldown_s: float = Field(30.0, ge=0)
    min_chars: int = Field(20, ge=1)
    max_chars: int = Field(2000, ge=1)
    emoji_positive: str = "👍"
    emoji_negative: str = "👎"
    emoji_unsure: str = "🤔"
    emoji_wrong: str = "❌"
    unsure_band: float = Field(0.1, ge=0, le=0.5)
    escalate_confidence: float = Field(0.8, ge=0.5, le=1.0)
    #: A message starting with one of these characters is a command for some bot, not a review.
    command_prefixes: str = "!?/$.;"
    #: /review: reviews per member per window (Redis-backed, shared by replicas); 0 turns it off.
    review_rate_limit: int = Field(10, ge=0)
    review_rate_window_s: float = Field(60.0, gt=0)
    #: /review waits this long for the verdict before saying it is still queued.
    review_timeout_s: float = Field(20.0, gt=0)
    #: The bot's own reply stream (Review.reply_to) and its consumer group.
    reply_stream: str = "reviewbot:replies:discord"
    reply_group: str = "discord"
    #: Catch-up reads at most this many messages of a channel's history after a restart.
    catchup_max_messages: int = Field(2000, ge=0)
    #: Seconds to wait for the servers' GUILD_CREATE at connect (discord.py's default: 2 s).
    guild_ready_timeout_s: float = Field(2.0, gt=0)
    #: Register the slash commands with Discord at start (off: someone syncs them otherwise).
    sync_commands: bool = True
    #: /mood: default and longest period in days, and how many negative links moderators see.
    mood_days: int = Field(30, ge=1)
    mood_max_days: int = Field(365, ge=1)
    mood_negative_links: int = Field(5, ge=0, le=20)
    #: Seconds a Redis command may take before it counts as failed (redis-py's default is 5 s;
    #: a loaded host that starves the bot's event loop for that long then fails a healthy
    #: /review, seen on a 2-core CI box at load 17).
    redis_timeout_s: float = Field(30.0, gt=0)
    #: /forget waits this long for the deletion job before saying it is still running.
    forget_wait_s: float = Field(60.0, gt=0)

    @field_validator("api_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def watched_channel_ids(self) -> list[int]:
        """REVIEWBOT_DISCORD_WATCHED_CHANNELS as ids; ValueError names the entry that is not one."""
        ids = []
        for part in self.watched_channels.replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isdigit():
                raise ValueError(
                    f"REVIEWBOT_DISCORD_WATCHED_CHANNELS: {part!r} is not a channel id "
                    "(a number: enable Developer Mode in Discord, right-click the channel, Copy ID)"
                )
            ids.append(int(part))
        return ids

    def gateway(self) -> yarl.URL:
        return yarl.URL(self.gateway_url)

    def guild_defaults(self) -> DiscordGuildConfig:
        return DiscordGuildConfig(
            cooldown_s=self.cooldown_s,
            min_chars=self.min_chars,
            max_chars=self.max_chars,
            emoji_positive=self.emoji_positive,
            emoji_negative=self.emoji_negative,
            emoji_unsure=self.emoji_unsure,
            emoji_wrong=self.emoji_wrong,
            unsure_band=self.unsure_band,
            escalate_confidence=self.escalate_confidence,
        )
