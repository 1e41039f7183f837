"""`reviewbot discord` started while Discord cannot be reached (no network yet, Discord down)
waits for it and says so, then connects once it answers; stopped while waiting, it exits
cleanly. Never a traceback, never the token."""

import subprocess
from pathlib import Path

from tests.bots.discord.conftest import bot_process, bot_process_env
from tests.bots.discord.fake_discord import TOKEN, FakeDiscord
from tests.ports import free_port
from tests.waiting import until


def not_yet_served() -> FakeDiscord:
    """A fake Discord whose port is chosen but which does not listen yet."""
    fake = FakeDiscord()
    fake.port = free_port()
    return fake


async def stopped(process: subprocess.Popen) -> int:
    process.terminate()
    await until(lambda: process.poll() is not None, timeout=20)
    return process.returncode


async def test_a_bot_started_before_discord_waits_for_it_then_connects(
    redis_url, database_url, tmp_path: Path
):
    fake = not_yet_served()
    log = tmp_path / "bot.log"
    waiting = f"cannot reach Discord at http://127.0.0.1:{fake.port}"
    env = bot_process_env(fake, redis_url, database_url, tmp_path / "home")
    try:
        async with bot_process(env, log) as process:
            await until(lambda: log.read_text().count(waiting) >= 2)  # tried, and tries again
            assert process.poll() is None
            await fake.start(fake.port)
            await until(lambda: fake.identifies >= 1 and fake.sockets)
            # READY handled. (Stopped before that, discord.py's delayed READY may find the
            # client closed and print its own traceback: not this test's subject.)
            await until(lambda: "connected as" in log.read_text())
            assert process.poll() is None
            assert await stopped(process) == 0
    finally:
        await fake.stop()
    text = log.read_text()
    assert "Traceback" not in text and TOKEN not in text


async def test_a_bot_stopped_while_waiting_for_discord_exits_cleanly(
    redis_url, database_url, tmp_path: Path
):
    fake = not_yet_served()
    log = tmp_path / "bot.log"
    env = bot_process_env(fake, redis_url, database_url, tmp_path / "home")
    async with bot_process(env, log) as process:
        await until(lambda: "cannot reach Discord" in log.read_text())
        assert await stopped(process) == 0
    text = log.read_text()
    assert "Traceback" not in text and TOKEN not in text
