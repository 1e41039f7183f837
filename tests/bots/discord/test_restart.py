"""Nothing is missed and nothing is doubled when the bot stops: `reviewbot discord` as a real
process, killed with SIGKILL, restarted; a gateway session that cannot be resumed; the token
never in a log; no token, one sentence."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import redis

from tests.bots.discord.conftest import bot_process, bot_process_env
from tests.bots.discord.fake_discord import TOKEN, FakeDiscord

REVIEW = "An absolutely wonderful film, the acting was superb and moving."
STREAM = "reviewbot:reviews"
REPLIES = "reviewbot:replies:discord"


async def connected(fake: FakeDiscord, process: subprocess.Popen, identifies: int) -> None:
    """Wait until the process has identified and had time to take its servers in."""
    await fake.wait_until(lambda: fake.identifies >= identifies and fake.sockets, timeout=60)
    assert process.poll() is None
    await asyncio.sleep(0.5)


def kill(process: subprocess.Popen) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)


def watched_channel(fake: FakeDiscord, redis_url, database_url, tmp_path: Path):
    """A server with a channel watched from the start: its id, the bot process's environment
    and its log file."""
    channel = fake.channels(fake.add_guild())[0]
    env = bot_process_env(
        fake,
        redis_url,
        database_url,
        tmp_path / "home",
        REVIEWBOT_DISCORD_WATCHED_CHANNELS=str(channel),
    )
    return channel, env, tmp_path / "bot.log"


async def test_a_bot_killed_between_submit_and_reaction_reacts_once_after_its_restart(
    fake: FakeDiscord, redis_url, database_url, tmp_path: Path, running_worker, store
):
    channel, env, log = watched_channel(fake, redis_url, database_url, tmp_path)
    queue = redis.Redis.from_url(redis_url)
    async with bot_process(env, log) as first:
        await connected(fake, first, 1)
        message = await fake.post(channel, 101, REVIEW)
        # Submitted: the review waits in the stream (no worker runs yet).
        await fake.wait_until(lambda: queue.xlen(STREAM) == 1)
        kill(first)
    with running_worker(store=store):
        await fake.wait_until(lambda: queue.xlen(STREAM) == 0)  # classified, reply pending
        assert not fake.puts_on(channel, message)
        async with bot_process(env, log) as second:
            await connected(fake, second, 2)
            await fake.wait_until(lambda: fake.puts_on(channel, message))
            await asyncio.sleep(1.5)  # a second reaction would come now (claim idle: 1 s)
    assert len(fake.puts_on(channel, message)) == 1
    queue.close()
    assert TOKEN not in log.read_text(errors="replace")


async def test_messages_posted_while_the_bot_is_down_are_each_reacted_to_once(
    fake: FakeDiscord, redis_url, database_url, tmp_path: Path, running_worker, store
):
    channel, env, log = watched_channel(fake, redis_url, database_url, tmp_path)
    with running_worker(store=store):
        async with bot_process(env, log) as first:
            await connected(fake, first, 1)
            before = await fake.post(channel, 101, REVIEW)
            await fake.wait_until(lambda: fake.puts_on(channel, before))
            # Killed once that reply is acked: a kill between Discord's answer and the ack
            # repeats the (idempotent) PUT, which is not what this test is about.
            replies = redis.Redis.from_url(redis_url)
            await fake.wait_until(lambda: replies.xlen(REPLIES) == 0)
            replies.close()
            kill(first)
        while_down = [
            await fake.post(channel, 102 + i, f"{REVIEW} Seen while down, take {i}.", live=False)
            for i in range(5)
        ]
        async with bot_process(env, log) as second:
            await connected(fake, second, 2)
            await fake.wait_until(lambda: all(fake.puts_on(channel, m) for m in while_down))
            await asyncio.sleep(1.5)
    for message in [before, *while_down]:
        assert len(fake.puts_on(channel, message)) == 1, message
        assert len(fake.reactions[(channel, message)]) == 1
    text = log.read_text(errors="replace")
    assert TOKEN not in text
    assert "DEBUG" in text  # the logs checked were the verbose ones


async def test_a_session_that_cannot_be_resumed_is_caught_up(
    fake: FakeDiscord, start_bot, running_worker, store
):
    guild = fake.add_guild()
    channel = fake.channels(guild)[0]
    with running_worker(store=store):
        await start_bot(watched_channels=str(channel))
        first = await fake.post(channel, 101, REVIEW)
        await fake.wait_until(lambda: fake.puts_on(channel, first))
        fake.allow_resume = False
        # Posted while the gateway connection is broken: only the history has them.
        missed = [
            await fake.post(channel, 102, f"{REVIEW} Missed {i}.", live=False) for i in range(3)
        ]
        await fake.drop_connections()
        await fake.wait_until(lambda: fake.identifies == 2, timeout=30)
        await fake.wait_until(lambda: all(fake.puts_on(channel, m) for m in missed))
        await asyncio.sleep(0.5)
    assert fake.resumes >= 1
    for message in [first, *missed]:
        assert len(fake.puts_on(channel, message)) == 1


def test_without_a_token_the_bot_exits_with_one_sentence(tmp_path: Path):
    env = dict(
        os.environ,
        PYTHONPATH=str(Path(__file__).resolve().parents[3]),
        REVIEWBOT_HOME=str(tmp_path),
        REVIEWBOT_DISCORD_TOKEN="",
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "reviewbot"), "discord"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        (
            "REVIEWBOT_DISCORD_TOKEN is not set: create a bot in the Discord developer portal and put "
            "its token in that variable (see the README's Discord section)."
        )
    ]


def test_a_malformed_channel_list_is_one_sentence_too(tmp_path: Path):
    env = dict(
        os.environ,
        PYTHONPATH=str(Path(__file__).resolve().parents[3]),
        REVIEWBOT_HOME=str(tmp_path),
        REVIEWBOT_DISCORD_TOKEN=TOKEN,
        REVIEWBOT_DISCORD_WATCHED_CHANNELS="123, #movies",
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "reviewbot"), "discord"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1
    assert "'#movies' is not a channel id" in done.stderr
    assert TOKEN not in done.stderr + done.stdout
