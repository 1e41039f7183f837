"""Fixtures of the Discord bot tests: the fake Discord, a real SQLite history, a real Redis, the
real bot (in this event loop, or as a `reviewbot discord` process)."""

import asyncio
import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bots.discord.bot import ReviewBot
from bots.discord.run import connect_redis
from bots.discord.settings import DiscordSettings
from frontend.settings import FrontendSettings
from storage import open_store
from tests.bots.discord.fake_discord import TOKEN, FakeDiscord

#: Short reads and claim times, so a restarted bot picks up its pending replies within a test.
FRONTEND = {"reply_block_ms": 100, "reply_claim_idle_ms": 1000}


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    fake = await FakeDiscord().start()
    yield fake
    await fake.stop()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    open_store(url).close()  # created and migrated
    return url


@pytest.fixture
def store(database_url: str):
    store = open_store(database_url)
    yield store
    store.close()


@pytest.fixture
def discord_settings(fake: FakeDiscord) -> Callable[..., DiscordSettings]:
    def make(**values) -> DiscordSettings:
        defaults = {
            "token": TOKEN,
            "api_base_url": fake.api_base_url,
            "gateway_url": fake.gateway_url,
            "guild_ready_timeout_s": 0.05,
            "cooldown_s": 0,
            "min_chars": 10,
            "review_timeout_s": 10,
        }
        return DiscordSettings(**(defaults | values))

    return make


class BotRun:
    """A bot started in this event loop; `stop()` closes it and checks that connect() ended
    cleanly (a malformed payload kills discord.py's task silently)."""

    def __init__(self, bot: ReviewBot, task: asyncio.Task, redis_client) -> None:
        self.bot, self.task, self.redis = bot, task, redis_client

    async def stop(self) -> None:
        assert not self.task.done(), f"the client stopped by itself: {self.task!r}"
        await self.bot.close()
        await asyncio.wait_for(self.task, 10)
        assert self.task.exception() is None
        await self.redis.aclose()


@pytest.fixture
async def start_bot(redis_url: str, database_url: str, discord_settings) -> AsyncIterator:
    runs: list[BotRun] = []
    stores = []

    async def start(
        settings: DiscordSettings | None = None, stream_settings=None, **values
    ) -> ReviewBot:
        settings = settings or discord_settings(**values)
        redis_client = connect_redis(settings, redis_url)
        store = open_store(database_url)
        stores.append(store)
        bot = ReviewBot(
            settings,
            redis_client,
            store,
            consumer="test-bot",
            frontend_settings=FrontendSettings(**FRONTEND),
            stream_settings=stream_settings,
        )
        task = asyncio.create_task(bot.start(settings.token.get_secret_value()))
        run = BotRun(bot, task, redis_client)
        runs.append(run)
        waiter = asyncio.ensure_future(bot.caught_up.wait())
        done, _ = await asyncio.wait({waiter, task}, timeout=20, return_when="FIRST_COMPLETED")
        if task in done:
            task.result()  # raises what stopped it
        assert waiter in done, "the bot did not get ready"
        return bot

    async def stop_all() -> None:
        for run in runs:
            if not run.task.done() or not run.bot.is_closed():
                await run.stop()

    start.stop_all = stop_all
    yield start
    try:
        await stop_all()
    finally:
        for store in stores:
            store.close()


def bot_process_env(
    fake: FakeDiscord, redis_url: str, database_url: str, home: Path, **extra: str
) -> dict[str, str]:
    """The environment of a `reviewbot discord` process against the fake."""
    return dict(
        os.environ,
        PYTHONPATH=str(Path(__file__).resolve().parents[3]),
        REVIEWBOT_REDIS_URL=redis_url,
        REVIEWBOT_DATABASE_URL=database_url,
        REVIEWBOT_HOME=str(home),
        REVIEWBOT_DISCORD_TOKEN=TOKEN,
        REVIEWBOT_DISCORD_API_BASE_URL=fake.api_base_url,
        REVIEWBOT_DISCORD_GATEWAY_URL=fake.gateway_url,
        REVIEWBOT_DISCORD_GUILD_READY_TIMEOUT_S="0.05",
        REVIEWBOT_DISCORD_COOLDOWN_S="0",
        REVIEWBOT_DISCORD_MIN_CHARS="10",
        REVIEWBOT_FRONTEND_REPLY_BLOCK_MS="100",
        REVIEWBOT_FRONTEND_REPLY_CLAIM_IDLE_MS="1000",
        REVIEWBOT_LOG_LEVEL="DEBUG",
        **extra,
    )


@contextlib.asynccontextmanager
async def bot_process(env: dict[str, str], log_path: Path) -> AsyncIterator[subprocess.Popen]:
    """`reviewbot discord` as its own process (killed with SIGKILL by the test, or stopped)."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: ASYNC220 - Popen returns at once
            [str(Path(sys.executable).parent / "reviewbot"), "discord"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
