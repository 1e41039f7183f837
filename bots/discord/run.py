"""Running the bot as a process: open Redis and the store, start, stop cleanly on a signal.

The token is a secret: it is read only from the settings and every log record passes a filter
that replaces it, should a library ever print it.
"""

import asyncio
import logging
import signal
import sys

import discord

from bots.discord.settings import DiscordSettings

log = logging.getLogger(__name__)

REDACTED = "[token hidden]"


class MissingToken(RuntimeError):
    pass


class RedactSecret(logging.Filter):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secret:
            return True
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, REDACTED), None
        if record.exc_text and self.secret in record.exc_text:
            record.exc_text = record.exc_text.replace(self.secret, REDACTED)
        return True


def hide_token(token: str) -> None:
    """Install the filter on every handler of the root logger (and on it, for late handlers)."""
    redact = RedactSecret(token)
    root = logging.getLogger()
    root.addFilter(redact)
    for handler in root.handlers:
        handler.addFilter(redact)


def connect_redis(settings: DiscordSettings, url: str | None = None):
    """The bot's Redis client: the shared one's URL, with the bot's own timeout."""
    import redis.asyncio as aioredis

    from reviewbot.connection import redis_url

    return aioredis.Redis.from_url(
        url or redis_url(),
        decode_responses=True,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
    )


async def run_bot(settings: DiscordSettings) -> None:
    from bots.discord.bot import ReviewBot
    from storage import open_store

    token = settings.token.get_secret_value().strip()
    if not token:
        raise MissingToken(
            "REVIEWBOT_DISCORD_TOKEN is not set: create a bot in the Discord developer portal "
            "and put its token in that variable (see the README's Discord section)."
        )
    hide_token(token)
    watched = settings.watched_channel_ids()  # a malformed list fails here, before connecting
    store = await asyncio.to_thread(open_store)
    redis_client = connect_redis(settings)
    bot = ReviewBot(settings, redis_client, store)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, lambda: asyncio.ensure_future(bot.close()))
    log.info(
        "Discord bot starting (REST %s); %d channels watched from the start",
        settings.api_base_url,
        len(watched),
    )
    try:
        async with bot:
            await bot.start(token, reconnect=True)
    finally:
        await redis_client.aclose()
        store.close()


def main(settings: DiscordSettings | None = None) -> int:
    """Run until stopped; the exit status. Problems a person can fix are one sentence."""
    from bots.discord.bot import UNREACHABLE

    settings = settings or DiscordSettings()
    try:
        asyncio.run(run_bot(settings))
    except (MissingToken, ValueError) as error:  # no token, a malformed setting
        print(error, file=sys.stderr)
        return 2
    except discord.LoginFailure:
        print(
            "Discord refused the token (REVIEWBOT_DISCORD_TOKEN): copy it again from the developer portal."
        )
        return 2
    except UNREACHABLE as error:  # lost while setting up; before that, login waits for it
        print(
            f"Lost the connection to Discord while starting ({str(error) or type(error).__name__}); "
            "start the bot again.",
            file=sys.stderr,
        )
        return 1
    except discord.PrivilegedIntentsRequired:
        print(
            "Discord refused the Message Content intent: enable it for the bot in the developer "
            "portal (Bot tab, Privileged Gateway Intents).",
            file=sys.stderr,
        )
        return 2
    return 0
