"""Every slash command through INTERACTION_CREATE, answered by the right callback; members who
may not are refused; bad input gets one clear sentence, never a trace."""

import redis

from reviewbot.messages import DiscordMode
from storage.discord_state import DiscordState
from tests.bots.discord.fake_discord import (
    BOT_PERMISSIONS,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    FakeDiscord,
)

MODERATOR = MEMBER_PERMISSIONS | MANAGE_GUILD
REVIEW = "An absolutely wonderful film, the acting was superb and moving."
EPHEMERAL = 64


async def ask(fake: FakeDiscord, name: str, options=None, **kwargs) -> list[str]:
    interaction = await fake.slash(name, options, **kwargs)
    return await fake.wait_until(lambda: fake.answered(interaction))


def flags(fake: FakeDiscord, interaction: int) -> int:
    return fake.callbacks[interaction][0].get("data", {}).get("flags", 0)


async def test_the_bot_registers_its_slash_commands(fake: FakeDiscord, start_bot):
    await start_bot()
    assert {c["name"] for c in fake.commands} == {
        "watch",
        "unwatch",
        "settings",
        "exempt",
        "review",
        "mood",
        "privacy",
        "optout",
        "optin",
        "forget",
    }


async def test_moderators_watch_and_unwatch_and_others_are_refused(
    fake: FakeDiscord, start_bot, store
):
    guild = fake.add_guild()
    guild_id, channel = int(guild["id"]), fake.channels(guild)[0]
    bot = await start_bot()
    at = {"guild_id": guild_id, "channel_id": channel}

    refused = await ask(fake, "watch", {"channel": ("channel", channel)}, user_id=7, **at)
    assert refused == [
        "Only moderators (Manage Server, or the server's moderator role) can use this command."
    ]
    assert bot.state.channel(channel) is None

    answer = await ask(
        fake,
        "watch",
        {"channel": ("channel", channel), "mode": "reply"},
        user_id=8,
        permissions=MODERATOR,
        **at,
    )
    assert answer == [f"Watching <#{channel}> in reply mode: every review there gets a reaction."]
    assert DiscordState(store).channels()[channel].mode == DiscordMode.REPLY

    # A role named by the server's moderators counts as well.
    role = guild["role_ids"][0]
    await ask(
        fake, "settings", {"moderator_role": ("role", role)}, user_id=8, permissions=MODERATOR, **at
    )
    answer = await ask(
        fake, "unwatch", {"channel": ("channel", channel)}, user_id=9, roles=[role], **at
    )
    assert answer == [f"No longer watching <#{channel}>."]
    assert not DiscordState(store).channels()[channel].watched
    answer = await ask(
        fake, "unwatch", {"channel": ("channel", channel)}, user_id=9, roles=[role], **at
    )
    assert answer == [f"<#{channel}> is not watched."]


async def test_watch_names_the_permission_the_bot_lacks(fake: FakeDiscord, start_bot):
    from tests.bots.discord.fake_discord import ADD_REACTIONS, READ_MESSAGE_HISTORY

    guild = fake.add_guild(bot_permissions=BOT_PERMISSIONS & ~ADD_REACTIONS)
    guild_id, channel = int(guild["id"]), fake.channels(guild)[0]
    hidden = fake.add_channel(
        guild_id,
        overwrites=[
            {
                "id": str(guild["bot_role"]),
                "type": 0,
                "allow": "0",
                "deny": str(READ_MESSAGE_HISTORY),
            }
        ],
    )
    await start_bot()
    at = {"guild_id": guild_id, "channel_id": channel, "user_id": 8, "permissions": MODERATOR}
    answer = await ask(fake, "watch", {"channel": ("channel", channel)}, **at)
    assert answer == [
        f"I lack the Add Reactions permission in <#{channel}>; please grant it and try again."
    ]

    # A channel the bot cannot read at all.
    answer = await ask(fake, "watch", {"channel": ("channel", hidden)}, **at)
    assert answer == [
        (
            f"I cannot read <#{hidden}>: I need the View Channel and Read Message History "
            "permissions there."
        )
    ]


async def test_settings_show_change_and_refuse_bad_values(fake: FakeDiscord, start_bot, store):
    guild = fake.add_guild()
    guild_id, channel = int(guild["id"]), fake.channels(guild)[0]
    mod_log = fake.add_channel(guild_id)
    await start_bot(watched_channels=str(channel))
    at = {"guild_id": guild_id, "channel_id": channel, "user_id": 8, "permissions": MODERATOR}

    shown = (await ask(fake, "settings", **at))[0]
    assert f"Watched channels: <#{channel}> (monitor)" in shown
    assert "Cooldown per member: 0 s" in shown

    changed = (
        await ask(
            fake,
            "settings",
            {
                "mod_log": ("channel", mod_log),
                "cooldown": 45.0,
                "positive_emoji": "🍿",
                "min_length": 30,
            },
            **at,
        )
    )[0]
    assert changed.startswith("Settings saved.")
    assert f"Mod-log channel: <#{mod_log}>" in changed and "positive 🍿" in changed
    config = DiscordState(store).guild_configs()[guild_id]
    assert (config.mod_log_channel_id, config.cooldown_s, config.min_chars) == (mod_log, 45.0, 30)

    refused = (await ask(fake, "settings", {"min_length": 3000, "max_length": 100}, **at))[0]
    assert refused == "Nothing was changed: min_length is above max_length"
    assert DiscordState(store).guild_configs()[guild_id].min_chars == 30

    role = guild["role_ids"][1]
    answer = await ask(fake, "exempt", {"role": ("role", role)}, **at)
    assert answer == [f"Messages of members with <@&{role}> are no longer classified."]
    assert DiscordState(store).guild_configs()[guild_id].exempt_role_ids == (role,)
    answer = await ask(fake, "exempt", {"role": ("role", role), "remove": True}, **at)
    assert answer == [f"Messages of members with <@&{role}> are classified again."]
    assert DiscordState(store).guild_configs()[guild_id].exempt_role_ids == ()


async def test_moderator_commands_are_for_servers_only(fake: FakeDiscord, start_bot):
    await start_bot()
    answer = await ask(fake, "settings", guild_id=None, user_id=8)
    assert answer == ["This command works in a server, not in direct messages."]


async def test_review_answers_in_a_server_and_in_dms_ephemeral_by_default(
    fake: FakeDiscord, start_bot, running_worker, store
):
    guild = fake.add_guild()
    guild_id, channel = int(guild["id"]), fake.channels(guild)[0]
    with running_worker(store=store):
        await start_bot()
        interaction = await fake.slash(
            "review", {"text": REVIEW}, guild_id=guild_id, channel_id=channel, user_id=7
        )
        answer = (await fake.wait_until(lambda: fake.answered(interaction)))[0]
        assert "(confidence" in answer and "language:" in answer
        assert flags(fake, interaction) & EPHEMERAL

        interaction = await fake.slash(
            "review",
            {"text": "Una película preciosa, me encantó."},
            guild_id=None,
            user_id=7,
            locale="es-ES",
        )
        answer = (await fake.wait_until(lambda: fake.answered(interaction)))[0]
        assert "(confianza" in answer

        interaction = await fake.slash(
            "review",
            {"text": REVIEW, "public": True},
            guild_id=guild_id,
            channel_id=channel,
            user_id=7,
        )
        await fake.wait_until(lambda: fake.answered(interaction))
        assert not flags(fake, interaction) & EPHEMERAL


async def test_review_refuses_empty_too_long_busy_and_rate_limited_with_one_sentence(
    fake: FakeDiscord, start_bot, redis_url
):
    from reviewbot.settings import StreamSettings

    # No worker runs and the queue holds one review: with a bound of 1, a review is "busy".
    await start_bot(review_rate_limit=2, stream_settings=StreamSettings(max_concurrent_requests=1))
    dm = {"guild_id": None, "user_id": 7}
    assert await ask(fake, "review", {"text": "  <@123> https://example.com  "}, **dm) == [
        "The review is empty: send some text to classify."
    ]
    assert await ask(fake, "review", {"text": "x" * 5000}, **dm) == [
        "The review is too long (5000 characters; the limit is 4000)."
    ]
    assert await ask(fake, "review", {"text": "bad\x00byte here"}, **dm) == [
        (
            "The review contains a control or binary character ('\\x00' at position 3); "
            "send plain text."
        )
    ]
    client = redis.Redis.from_url(redis_url)
    client.xadd("reviewbot:reviews", {"review": "{}"})
    client.close()
    busy = await ask(fake, "review", {"text": REVIEW}, **dm)
    assert busy[0].startswith("Too many reviews are waiting; please try again in ")
    busy = await ask(fake, "review", {"text": REVIEW}, locale="es-ES", **dm)
    assert busy[0].startswith("Hay demasiadas reseñas en espera; inténtalo de nuevo en ")
    # Refused texts do not count against the rate limit; the two attempts above did.
    limited = await ask(fake, "review", {"text": REVIEW}, **dm)
    assert limited[0].startswith("You have sent a lot of reviews; please try again in ")


async def test_mood_draws_the_channel_and_shows_moderators_the_most_negative_messages(
    fake: FakeDiscord, start_bot, running_worker, store
):
    from tests.bots.discord.fake_discord import READ_MESSAGE_HISTORY

    guild = fake.add_guild()
    guild_id, channel = int(guild["id"]), fake.channels(guild)[0]
    hidden = fake.add_channel(
        guild_id,
        overwrites=[
            {
                "id": str(guild["bot_role"]),
                "type": 0,
                "allow": "0",
                "deny": str(READ_MESSAGE_HISTORY),
            }
        ],
    )
    with running_worker(store=store):
        bot = await start_bot(watched_channels=str(channel))
        at = {"guild_id": guild_id, "channel_id": channel}
        assert await ask(fake, "mood", user_id=7, **at) == [
            f"No classified messages in <#{channel}> in the last 30 days."
        ]
        messages = [await fake.post(channel, 100 + i, f"{REVIEW} Take {i}.") for i in range(4)]
        state = DiscordState(store)
        await fake.wait_until(
            lambda: all((r := state.message(channel, m)) and r.label for m in messages)
        )
        # Every review negative for a moment, so there are links to show.
        from storage.schema import PredictionRow

        with store.session() as session, session.begin():
            session.query(PredictionRow).update({"label": "negative", "p_positive": 0.1})

        member = await fake.slash("mood", {"days": 7}, user_id=7, **at)
        text = (await fake.wait_until(lambda: fake.answered(member)))[0]
        assert text == f"<#{channel}>, last 7 days: 4 reviews, 0% positive."
        token = fake.tokens[member]
        assert fake.files[token][0].startswith(b"\x89PNG")

        moderator = await fake.slash("mood", user_id=8, permissions=MODERATOR, **at)
        text = (await fake.wait_until(lambda: fake.answered(moderator)))[0]
        links = [line for line in text.splitlines() if line.startswith("- https://")]
        assert len(links) == bot.settings.mood_negative_links - 1 or len(links) == 4
        assert all(f"/channels/{guild_id}/{channel}/" in link for link in links)

        assert await ask(fake, "mood", {"channel": ("channel", hidden)}, user_id=7, **at) == [
            (
                f"I cannot read <#{hidden}>: I need the View Channel and Read Message History "
                "permissions there."
            )
        ]


async def test_privacy_optout_optin_in_the_members_language(
    fake: FakeDiscord, start_bot, running_worker, store
):
    guild = fake.add_guild()
    guild_id, channel = int(guild["id"]), fake.channels(guild)[0]
    with running_worker(store=store):
        bot = await start_bot(watched_channels=str(channel))
        at = {"guild_id": guild_id, "channel_id": channel, "user_id": 7}
        privacy = (await ask(fake, "privacy", locale="es-ES", **at))[0]
        assert privacy.startswith("Clasifico el sentimiento") and "/optout" in privacy

        assert await ask(fake, "optout", **at) == [
            (
                "Done: your messages will not be processed or stored from now on. /optin undoes "
                "this; /forget also erases what is already stored."
            )
        ]
        assert store.is_opted_out("discord", "7")
        assert await ask(fake, "review", {"text": REVIEW}, **at) == [
            "You have opted out, so your messages are not processed. Send /optin to resume."
        ]
        quiet = await fake.post(channel, 7, REVIEW)
        assert await ask(fake, "optin", locale="es-MX", **at) == [
            "Bienvenido de nuevo: tus reseñas se volverán a clasificar."
        ]
        assert not store.is_opted_out("discord", "7")
        heard = await fake.post(channel, 7, REVIEW)
        await fake.wait_until(lambda: fake.puts_on(channel, heard))
        assert not fake.puts_on(channel, quiet)
        assert "7" not in bot.state.opted_out


async def test_forget_asks_then_erases_the_members_reviews(
    fake: FakeDiscord, start_bot, running_worker, store, redis_url, monkeypatch, database_url
):
    from rq import Queue, SimpleWorker

    monkeypatch.setenv("REVIEWBOT_DATABASE_URL", database_url)
    guild = fake.add_guild()
    guild_id, channel = int(guild["id"]), fake.channels(guild)[0]
    queue = Queue("test-forget", connection=redis.Redis.from_url(redis_url))
    with running_worker(store=store):
        bot = await start_bot(watched_channels=str(channel))
        bot.jobs_queue = queue
        message = await fake.post(channel, 7, REVIEW)
        await fake.wait_until(lambda: fake.puts_on(channel, message))
        await fake.wait_until(lambda: DiscordState(store).message(channel, message).label)
        at = {"guild_id": guild_id, "channel_id": channel, "user_id": 7}

        asking = await fake.slash("forget", **at)
        await fake.wait_until(lambda: fake.callbacks.get(asking))
        question = fake.callbacks[asking][0]["data"]
        assert question["content"].startswith("This erases every review")
        buttons = [c["custom_id"] for row in question["components"] for c in row["components"]]
        prompt = fake._bot_message(channel, question) | {"flags": EPHEMERAL}

        cancelled = await fake.click(prompt, buttons[1], guild_id=guild_id, user_id=7)
        await fake.wait_until(lambda: fake.callbacks.get(cancelled))
        assert fake.callbacks[cancelled][0]["data"]["content"] == "Cancelled: nothing was erased."

        asking = await fake.slash("forget", **at)
        await fake.wait_until(lambda: fake.callbacks.get(asking))
        confirmed = await fake.click(prompt, buttons[0], guild_id=guild_id, user_id=7)
        await fake.wait_until(lambda: queue.count)
        # RQ's worker runs jobs in the main thread (signals): here, while the loop waits.
        assert SimpleWorker([queue], connection=queue.connection).work(burst=True)
        done = await fake.wait_until(lambda: fake.answered(confirmed, 2))
        assert done[0] == "Erasing what is stored about you; I will tell you when it is done."
        assert done[1] == "Done: 1 stored reviews and everything linked to them were erased."
        assert DiscordState(store).message(channel, message) is None
