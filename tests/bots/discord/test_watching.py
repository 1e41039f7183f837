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


def review_row(store, review_id: str):
    from storage.schema import ReviewRow

    with store.session() as session:
        return session.get(ReviewRow, review_id)


async def test_a_server_that_refuses_slash_commands_still_gets_its_reactions(
    fake: FakeDiscord, start_bot, running_worker, store
):
    fake.refuse_commands = True
    guild = fake.add_guild()
    channel = fake.channels(guild)[0]
    with running_worker(store=store):
        await start_bot(watched_channels=str(channel))
        message = await fake.post(channel, 101, REVIEW)
        await fake.wait_until(lambda: fake.puts_on(channel, message))
    assert fake.commands == []


async def test_an_edited_review_is_classified_again_and_a_deleted_one_loses_its_text(
    fake: FakeDiscord, start_bot, running_worker, store
):
    guild = fake.add_guild()
    channel = fake.channels(guild)[0]
    with running_worker(store=store):
        await start_bot(watched_channels=str(channel))
        message = await fake.post(channel, 101, REVIEW)
        await fake.wait_until(lambda: fake.puts_on(channel, message))
        original = f"discord:{channel}:{message}"
        await fake.wait_until(lambda: review_row(store, original))

        await fake.edit(channel, message, "Actually it was a dull, boring and painful mess.")
        state = DiscordState(store)
        row = await fake.wait_until(
            lambda: (r := state.message(channel, message)) and r.review_id != original and r
        )
        edited = await fake.wait_until(lambda: review_row(store, row.review_id))
        assert edited.text == "Actually it was a dull, boring and painful mess."
        await fake.wait_until(
            lambda: (
                (r := state.message(channel, message)) and r.review_id == row.review_id and r.label
            )
        )

        await fake.delete(channel, message)
        await fake.wait_until(lambda: review_row(store, original).text is None)
        await fake.wait_until(lambda: review_row(store, row.review_id).text is None)
    # One reaction at any time: a changed verdict takes its old emoji back first.
    assert len(fake.reactions[(channel, message)]) <= 1


async def test_the_wrong_emoji_stores_feedback_and_taking_it_back_removes_it(
    fake: FakeDiscord, start_bot, running_worker, store
):
    from storage.schema import FeedbackRow

    guild = fake.add_guild()
    channel = fake.channels(guild)[0]
    state = DiscordState(store)
    with running_worker(store=store):
        await start_bot(watched_channels=str(channel))
        message = await fake.post(channel, 101, REVIEW)
        row = await fake.wait_until(
            lambda: (r := state.message(channel, message)) and r.label and r
        )
        await fake.react(channel, message, 202, "❌")
        await fake.react(channel, message, 202, "❌")  # one vote per member
        await fake.react(channel, message, 203, "🎬")  # not the "wrong" emoji

        def votes():
            with store.session() as session:
                return session.query(FeedbackRow).all()

        rows = await fake.wait_until(votes)
        await asyncio.sleep(0.3)
        rows = votes()
        assert [(r.review_id, r.user_id) for r in rows] == [(row.review_id, "202")]
        assert rows[0].label != row.label  # "wrong" means the other label

        await fake.react(channel, message, 202, "❌", add=False)
        await fake.wait_until(lambda: not votes())


async def test_what_is_not_a_review_gets_no_reaction(
    fake: FakeDiscord, start_bot, running_worker, store
):
    guild = fake.add_guild()
    channel, unwatched = fake.channels(guild)[0], fake.add_channel(int(guild["id"]))
    exempt_role = guild["role_ids"][0]
    fake.add_member(int(guild["id"]), 300, roles=[exempt_role])
    with running_worker(store=store):
        bot = await start_bot(watched_channels=str(channel))
        config = bot.state.config(int(guild["id"]))
        await bot.state.save_config(
            int(guild["id"]), config.model_copy(update={"exempt_role_ids": (exempt_role,)})
        )
        await bot.state.set_opted_out("discord", "301", True)
        skipped = [
            await fake.post(channel, 101, "too short"),
            await fake.post(channel, 101, "!play some music for everyone in the channel"),
            await fake.post(channel, 300, "An exempt moderator's long message about the film."),
            await fake.post(channel, 301, "A member who opted out wrote a long review here."),
            await fake.post(channel, 101, "<@123> <#456> https://example.com/a-long-link-here"),
            await fake.post(unwatched, 101, "A long review in a channel nobody watches."),
        ]
        last = await fake.post(channel, 101, REVIEW)
        await fake.wait_until(lambda: fake.puts_on(channel, last))
        await asyncio.sleep(0.3)
    assert [(c, m) for c, m, _ in fake.reaction_puts] == [(channel, last)]
    assert not any(fake.puts_on(c, m) for c in (channel, unwatched) for m in skipped)


async def test_a_member_cooldown_leaves_their_next_messages_alone(
    fake: FakeDiscord, start_bot, running_worker, store
):
    guild = fake.add_guild()
    channel = fake.channels(guild)[0]
    with running_worker(store=store):
        await start_bot(watched_channels=str(channel), cooldown_s=60)
        first = await fake.post(channel, 101, REVIEW)
        second = await fake.post(channel, 101, REVIEW + " Again!")
        other = await fake.post(channel, 102, REVIEW)
        await fake.wait_until(lambda: fake.puts_on(channel, first) and fake.puts_on(channel, other))
        await asyncio.sleep(0.3)
    assert not fake.puts_on(channel, second)


async def test_reply_mode_answers_each_review(fake: FakeDiscord, start_bot, running_worker, store):
    guild = fake.add_guild()
    guild_id = int(guild["id"])
    replying = fake.channels(guild)[0]
    with running_worker(store=store):
        bot = await start_bot()
        await bot.state.save_channel(
            DiscordChannel(channel_id=replying, guild_id=guild_id, mode=DiscordMode.REPLY)
        )
        message = await fake.post(replying, 101, REVIEW)
        reply = await fake.wait_until(
            lambda: next((s for s in fake.sent if s["channel_id"] == replying), None)
        )
        assert int(reply["message_reference"]["message_id"]) == message
        assert "confidence" in reply["content"]
        assert fake.puts_on(replying, message)


async def test_a_refused_reaction_is_logged_and_acked_and_a_gone_message_loses_its_text(
    fake: FakeDiscord, start_bot, running_worker, store, redis_url
):
    import redis

    guild = fake.add_guild()
    forbidden, vanishing = fake.channels(guild)[0], fake.add_channel(int(guild["id"]))
    fake.forbidden_channels.add(forbidden)
    queue = redis.Redis.from_url(redis_url, decode_responses=True)
    await start_bot(watched_channels=f"{forbidden},{vanishing}")
    refused = await fake.post(forbidden, 101, REVIEW)
    gone = await fake.post(vanishing, 102, REVIEW)
    await fake.wait_until(lambda: queue.xlen("reviewbot:reviews") == 2)
    fake.messages[vanishing].pop(gone)  # deleted before its verdict (the event was lost)
    with running_worker(store=store):
        dead = await fake.wait_until(
            lambda: len(entries := queue.xrange("reviewbot:replies:dead")) == 2 and entries
        )
        await fake.wait_until(lambda: review_row(store, f"discord:{vanishing}:{gone}"))
        await fake.wait_until(lambda: review_row(store, f"discord:{vanishing}:{gone}").text is None)
    reasons = {fields["review_id"]: fields["error"] for _, fields in dead}
    assert "no permission" in reasons[f"discord:{forbidden}:{refused}"]
    assert "is gone" in reasons[f"discord:{vanishing}:{gone}"]
    assert queue.xlen("reviewbot:replies:discord") == 0  # acked and deleted
    assert fake.reaction_puts == []
    queue.close()
