"""Load: 200 messages from 20 members in two servers within a second. Every watched message is
reacted to exactly once, and a server's cooldown holds for each member."""

import asyncio
from collections import Counter

from reviewbot.messages import DiscordGuildConfig
from tests.bots.discord.fake_discord import FakeDiscord

PER_MEMBER = 10


async def test_two_hundred_messages_in_a_second_are_each_reacted_to_once(
    fake: FakeDiscord, start_bot, running_worker, store
):
    relaxed, strict = fake.add_guild(), fake.add_guild()
    relaxed_channel, strict_channel = fake.channels(relaxed)[0], fake.channels(strict)[0]
    unwatched = fake.add_channel(int(strict["id"]))
    with running_worker(store=store):
        bot = await start_bot(watched_channels=f"{relaxed_channel},{strict_channel}")
        # The strict server lets a member's message through once a minute.
        await bot.state.save_config(
            int(strict["id"]), DiscordGuildConfig(cooldown_s=60, min_chars=10)
        )
        members = {relaxed_channel: range(1000, 1010), strict_channel: range(2000, 2010)}
        posted: dict[int, list[tuple[int, int]]] = {relaxed_channel: [], strict_channel: []}
        started = asyncio.get_running_loop().time()
        for round_ in range(PER_MEMBER):
            for channel, authors in members.items():
                for author in authors:
                    text = f"Review {round_} by {author}: the film was quite something."
                    posted[channel].append((author, await fake.post(channel, author, text)))
        await fake.post(unwatched, 2000, "A review in a channel nobody watches, ignored.")
        assert asyncio.get_running_loop().time() - started < 1.0

        expected = [m for _, m in posted[relaxed_channel]]
        firsts = {}
        for author, message in posted[strict_channel]:
            firsts.setdefault(author, message)
        expected_strict = sorted(firsts.values())
        await fake.wait_until(
            lambda: (
                all(fake.puts_on(relaxed_channel, m) for m in expected)
                and all(fake.puts_on(strict_channel, m) for m in expected_strict)
            ),
            timeout=60,
        )
        await asyncio.sleep(1.0)  # late duplicates would show now

    per_message = Counter((c, m) for c, m, _ in fake.reaction_puts)
    assert all(count == 1 for count in per_message.values())
    assert {m for c, m in per_message if c == relaxed_channel} == set(expected)
    assert sorted(m for c, m in per_message if c == strict_channel) == expected_strict
    assert not any(c == unwatched for c, _ in per_message)
