"""Started while the Bot API cannot be reached (no network yet, Telegram down), the bot waits
for it and says so, then serves once it answers; stopped while waiting, it ends cleanly.
Never a traceback, never the token in the log."""

import asyncio
import logging

import pytest

from bots.telegram.runner import TelegramBot
from tests.bots.telegram.conftest import FAST_REPLIES, TOKEN, bot_settings
from tests.bots.telegram.fake_bot_api import FakeBotApi
from tests.ports import free_port
from tests.waiting import until

UNREACHABLE = "cannot reach the Telegram Bot API"


@pytest.fixture
def not_yet_served(caplog: pytest.LogCaptureFixture) -> FakeBotApi:
    """A fake Bot API whose port is chosen but which does not listen yet."""
    caplog.set_level(logging.WARNING, "bots.telegram.runner")
    server = FakeBotApi(TOKEN)
    server.port = free_port()
    return server


def start_bot(server, redis_url, store, worker_settings) -> tuple[TelegramBot, asyncio.Task]:
    bot = TelegramBot(
        bot_settings(server),
        redis_url=redis_url,
        store=store,
        stream_settings=worker_settings,
        frontend_settings=FAST_REPLIES,
        consumer_name="test-bot",
    )
    return bot, asyncio.create_task(bot.run())


async def test_a_bot_started_before_telegram_waits_for_it_then_serves(
    not_yet_served, redis_url, store, worker_settings, caplog
):
    server = not_yet_served
    bot, task = start_bot(server, redis_url, store, worker_settings)
    try:
        await until(lambda: caplog.text.count(UNREACHABLE) >= 2, 30)  # it tried, and tries again
        assert not task.done() and not bot.ready.is_set()
        assert f"{UNREACHABLE} at 127.0.0.1:{server.port}" in caplog.text
        await server.start(server.port)
        await asyncio.wait_for(bot.ready.wait(), 60)
        await until(lambda: server.called("getUpdates"), 30)  # polling
        assert server.called("getMe")
    finally:
        bot.stop.set()
        await asyncio.wait_for(task, 30)  # ends cleanly: no exception
        await server.stop()
    assert TOKEN not in caplog.text and "Traceback" not in caplog.text


async def test_a_bot_stopped_while_waiting_for_telegram_ends_cleanly(
    not_yet_served, redis_url, store, worker_settings, caplog
):
    bot, task = start_bot(not_yet_served, redis_url, store, worker_settings)
    await until(lambda: UNREACHABLE in caplog.text, 30)
    bot.stop.set()
    await asyncio.wait_for(task, 10)
    assert not bot.ready.is_set() and not not_yet_served.calls
    assert TOKEN not in caplog.text
