"""The bot: a discord.py `commands.Bot` pointed at Discord (or a compatible server), its cogs,
the reply consumer and the catch-up.

    bot = ReviewBot(settings, redis_client, store)
    await bot.start(settings.token.get_secret_value())

`use_endpoints(settings)` points discord.py's REST base (also used for interaction callbacks
and webhooks) and its gateway at the configured URLs; they are class attributes of discord.py,
so they are process-wide.
"""

import asyncio
import contextlib
import logging

import aiohttp
import discord
import redis
import redis.asyncio as aioredis
import yarl
from discord import app_commands
from discord.ext import commands

from bots.discord.access import language_of
from bots.discord.catchup import catch_up_all
from bots.discord.escalation import ModerationButton
from bots.discord.sender import ReplySender
from bots.discord.settings import DiscordSettings
from bots.discord.state import ModerationState
from frontend.client import AsyncReviewClient
from frontend.replies import ReplyConsumer
from frontend.settings import FrontendSettings
from frontend.texts import sentence
from reviewbot.settings import StreamSettings
from storage.store import Store

log = logging.getLogger(__name__)

COGS = (
    "bots.discord.watching",
    "bots.discord.moderation",
    "bots.discord.review",
    "bots.discord.mood",
    "bots.discord.feedback",
    "bots.discord.privacy",
)


#: What a login attempt raises when Discord cannot be reached or answers 5xx: tried again
#: after a pause that doubles from the first to the last.
UNREACHABLE = (aiohttp.ClientError, OSError, TimeoutError, discord.DiscordServerError)
LOGIN_RETRY_FIRST_S, LOGIN_RETRY_MAX_S = 0.5, 30.0


def use_endpoints(settings: DiscordSettings) -> None:
    """Send every REST call and the gateway connection to the configured servers."""
    discord.http.Route.BASE = settings.api_base_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = settings.gateway()


def intents() -> discord.Intents:
    """Only what the bot uses: servers and their channels, messages with their content (a
    privileged intent, enabled in the developer portal), reactions."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.message_content = True
    wanted.guild_reactions = True
    return wanted


class ReviewBot(commands.Bot):
    def __init__(
        self,
        settings: DiscordSettings,
        redis_client: aioredis.Redis,
        store: Store,
        *,
        consumer: str | None = None,
        frontend_settings: FrontendSettings | None = None,
        stream_settings: StreamSettings | None = None,
        jobs_queue=None,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            guild_ready_timeout=settings.guild_ready_timeout_s,
            allowed_mentions=discord.AllowedMentions.none(),
        )
        use_endpoints(settings)
        self.settings = settings
        self.redis = redis_client
        self.store = store
        self.state = ModerationState(store, settings.guild_defaults())
        self.review_client = AsyncReviewClient(redis_client, stream_settings or StreamSettings())
        self.jobs_queue = jobs_queue
        self.sender = ReplySender(self)
        self.replies = ReplyConsumer(
            redis_client,
            settings.reply_stream,
            settings.reply_group,
            self.sender.handle,
            consumer=consumer,
            settings=frontend_settings,
        )
        self._reply_task: asyncio.Task | None = None
        self._catch_up_task: asyncio.Task | None = None
        self.caught_up = asyncio.Event()
        self._setting_up = False
        self.tree.on_error = self.on_app_command_error

    async def login(self, token: str) -> None:
        """discord.py's login (the bot user, the application, then `setup_hook`), tried again
        while Discord cannot be reached, so a bot started before the network or Discord is up
        waits for it, saying so, instead of dying. Not once `setup_hook` has begun: its cogs
        load once. A token Discord refuses (LoginFailure) is not retried."""
        pause = LOGIN_RETRY_FIRST_S
        while True:
            try:
                return await super().login(token)
            except UNREACHABLE as error:
                if self._setting_up or self.is_closed():
                    raise
                log.warning(
                    "cannot reach Discord at %s (%s); trying again in %.1f s",
                    yarl.URL(self.settings.api_base_url).origin(),
                    str(error) or type(error).__name__,
                    pause,
                )
            # The failed attempt's HTTP session goes; the next attempt opens its own.
            await self.http.close()
            self.http.connector = discord.utils.MISSING
            deadline = asyncio.get_running_loop().time() + pause
            while not self.is_closed() and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.1)
            if self.is_closed():
                return  # stopped while waiting: start() then finds the client closed
            pause = min(pause * 2, LOGIN_RETRY_MAX_S)

    async def setup_hook(self) -> None:
        self._setting_up = True
        self._keep_gateway_url()
        await self.state.load(self.settings.watched_channel_ids())
        for cog in COGS:
            await self.load_extension(cog)
        self.add_dynamic_items(ModerationButton)
        if self.settings.sync_commands:
            try:
                synced = await self.tree.sync()
                log.info("registered %d slash commands", len(synced))
            except discord.HTTPException as error:
                # The reactions do not need the commands: a server (or a Discord-compatible one)
                # refusing them must not keep the bot from watching its channels.
                log.warning(
                    "could not register the slash commands: %s %s", error.status, error.text
                )
        self._reply_task = asyncio.create_task(self._consume_replies(), name="discord-replies")

    def _keep_gateway_url(self) -> None:
        """A sharded connection asks GET /gateway/bot for the URL; the configured one wins, so a
        Discord-compatible server that answers with another address is still not bypassed."""
        configured = self.settings.gateway()
        original = self.http.get_bot_gateway

        async def get_bot_gateway(*args, **kwargs):
            shards, _url, limits = await original(*args, **kwargs)
            return shards, str(configured), limits

        if str(configured) != str(yarl.URL("wss://gateway.discord.gg/")):
            self.http.get_bot_gateway = get_bot_gateway

    async def _consume_replies(self) -> None:
        while not self.replies.stop.is_set():
            try:
                await self.replies.run()
            except asyncio.CancelledError:
                raise
            except redis.RedisError as error:  # Redis away for a moment: keep the bot up
                log.warning("reply consumer: %s; retrying in 1 s", error)
                await asyncio.sleep(1)
            except Exception:  # a bug must not stop the reactions for good: logged, restarted
                log.exception("reply consumer failed; restarting it in 1 s")
                await asyncio.sleep(1)

    async def on_ready(self) -> None:
        """First connect, and every new session (a reconnect that could not resume): catch up."""
        log.info("connected as %s to %d servers", self.user, len(self.guilds))
        if self._catch_up_task is None or self._catch_up_task.done():
            self._catch_up_task = asyncio.create_task(self._catch_up(), name="discord-catch-up")

    async def _catch_up(self) -> None:
        try:
            await catch_up_all(self)
        except Exception:
            log.exception("catch-up failed")
        finally:
            self.caught_up.set()

    async def on_app_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """A refusal for a member who may not, and one plain sentence for anything unexpected:
        never a trace."""
        lang = language_of(interaction)
        if isinstance(error, app_commands.CheckFailure) and str(error):
            text = str(error)
        elif isinstance(error, app_commands.TransformerError) and error.type in (
            discord.AppCommandOptionType.channel,
        ):
            # A channel option the bot cannot see (not in its cache: no View Channel there).
            channel_id = getattr(error.value, "id", error.value)
            text = sentence("cannot_read_channel", lang, channel=f"<#{channel_id}>")
        elif isinstance(error, app_commands.CommandOnCooldown):
            text = sentence(
                "rate_limited", language_of(interaction), seconds=int(error.retry_after) + 1
            )
        else:
            log.error("slash command failed", exc_info=error)
            text = sentence("unavailable", language_of(interaction))
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True)
            else:
                await interaction.response.send_message(text, ephemeral=True)
        except discord.HTTPException as exc:
            log.warning("could not tell the member about an error: %s", exc.text)

    async def close(self) -> None:
        self.replies.stop.set()
        for task in (self._reply_task, self._catch_up_task):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await super().close()
