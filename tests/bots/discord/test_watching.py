"""Watched channels through the real discord.py client: a message in, one reaction out; edits,
deletions, reactions as feedback."""

import asyncio

from reviewbot.messages import DiscordChannel, DiscordMode
from storage.discord_state import DiscordState
from tests.bots.discord.fake_discord import FakeDiscord

REVIEW = "An absolutely wonderful film, the acting was superb and moving."
EMOJI = {"👍", "👎", "🤔"}


async def test_a_review_in_a_channel_watched_from_the_environment_gets_one_reaction(
    fake: FakeDiscord, start_bot, running_worker, store
):
    guild = fake.add_guild()
    channel = fake.channels(guild)[0]
    with running_worker(store=store):
        await start_bot(watched_channels=str(channel))
        message = await fake.post(channel, 101, REVIEW)
        await fake.wait_until(lambda: fake.puts_on(channel, message))
        await asyncio.sleep(0.3)  # nothing more comes
    assert len(fake.puts_on(channel, message)) == 1
    assert fake.puts_on(channel, message)[0] in EMOJI
