"""The bot process is killed (SIGKILL) right after it fetched a batch of updates, once before
and once after it queued their reviews, before any verdict was sent; started again, it answers
every person exactly once. Its DEBUG log never shows the token."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from tests.bots.telegram.conftest import TOKEN
from tests.bots.telegram.fake_bot_api import Person
from tests.waiting import until

PEOPLE = [Person(2000 + i, f"P{i}", "en" if i % 2 else "es") for i in range(6)]


def bot_process(env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bots.telegram"], env=env, stdout=out, stderr=subprocess.STDOUT
        )


@pytest.fixture
def bot_env(fake, redis_url, database_url, tmp_path) -> dict:
    return dict(
        os.environ,
        REVIEWBOT_HOME=str(tmp_path / "home"),
        REVIEWBOT_REDIS_URL=redis_url,
        REVIEWBOT_DATABASE_URL=database_url,
        REVIEWBOT_LOG_LEVEL="DEBUG",
        REVIEWBOT_TELEGRAM_TOKEN=TOKEN,
        REVIEWBOT_TELEGRAM_API_BASE_URL=fake.base_url,
        REVIEWBOT_TELEGRAM_POLL_TIMEOUT_S="1",
        REVIEWBOT_FRONTEND_REPLY_BLOCK_MS="100",
        REVIEWBOT_FRONTEND_REPLY_CLAIM_IDLE_MS="2000",
    )


@pytest.mark.parametrize("killed", ["before queueing", "after queueing"])
async def test_killed_after_fetching_a_batch_every_person_is_answered_once(
    killed, fake, bot_env, serving_worker, store, redis_url, worker_settings, tmp_path
):
    client = redis.Redis.from_url(redis_url)
    log = tmp_path / "bot.log"
    first = bot_process(bot_env, log)
    try:
        await until(lambda: fake.called("getUpdates"), what="the bot to poll")
        if killed == "before queueing":
            # Every write (the rate limiter's script first) waits: the bot holds the batch
            # but has queued nothing when it dies.
            client.execute_command("CLIENT", "PAUSE", 30_000, "WRITE")
        else:
            # The next getUpdates confirms the batch; it comes only after all were queued.
            def kill_on_confirm(offset):
                if offset is not None and offset > last_id:
                    first.send_signal(signal.SIGKILL)
                    return True
                return False

            fake.on_get_updates = kill_on_confirm
        messages = [
            fake.message(person, f"/review film number {i}") for i, person in enumerate(PEOPLE)
        ]
        last_id = fake.updates[-1]["update_id"]
        await until(fake.fetched.is_set, what="the batch to be fetched")
        if killed == "before queueing":
            await asyncio.sleep(0.5)
            first.send_signal(signal.SIGKILL)
        await until(lambda: first.poll() is not None, what="the bot to die")
        if killed == "before queueing":
            client.execute_command("CLIENT", "UNPAUSE")
            assert client.xlen(worker_settings.stream) == 0
        else:
            assert client.xlen(worker_settings.stream) == len(PEOPLE)
        assert len(fake.updates) == len(PEOPLE)  # none confirmed
        assert fake.sent == []  # no verdict was sent
        fake.on_get_updates = None

        with serving_worker():
            second = bot_process(bot_env, log)
            try:
                answers = [await fake.answer_to(m, timeout=60) for m in messages]
                await fake.confirmed(timeout=30)
                await asyncio.sleep(1.0)  # a duplicate would arrive now
            finally:
                second.send_signal(signal.SIGTERM)
                assert second.wait(30) == 0
    finally:
        if first.poll() is None:
            first.kill()
        client.execute_command("CLIENT", "UNPAUSE")
    for message in messages:
        assert len(fake.answers_to(message)) == 1
    assert all(answer.buttons for answer in answers)
    text = log.read_text(errors="replace")
    assert "getUpdates" in text  # the DEBUG log was written
    assert TOKEN not in text
    assert "Traceback" not in text
