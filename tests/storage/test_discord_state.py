"""The Discord bot's state on SQLite and Postgres: settings, watched channels and their catch-up
cursor, handled messages, erased texts, the channel's mood."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from reviewbot.messages import (
    DiscordChannel,
    DiscordGuildConfig,
    DiscordMode,
    Label,
    Review,
    Source,
    Verdict,
)
from storage.discord_state import DiscordState, HandledMessage
from storage.schema import ReviewRow
from tests.storage.history import prediction

# Snowflakes are 64-bit: ids of this size must survive both databases.
GUILD, CHANNEL = 1_575_000_000_000_000_001, 1_575_000_000_000_000_002
NOW = datetime.now(UTC)


def handled(message_id: int, review_id: str, author: int = 7, at: datetime = NOW) -> HandledMessage:
    return HandledMessage(
        channel_id=CHANNEL,
        message_id=message_id,
        guild_id=GUILD,
        author_id=author,
        review_id=review_id,
        written_at=at,
    )


def classified(store, message_id: int, p: float, at: datetime = NOW) -> str:
    review = Review(
        id=f"discord:{CHANNEL}:{message_id}",
        text=f"review {message_id}",
        source=Source.DISCORD,
        chat_id=str(CHANNEL),
        user_id="7",
        message_id=str(message_id),
        received_at=at,
    )
    store.save_verdicts([Verdict(review=review, prediction=prediction(p))])
    return review.id


def test_settings_and_channels_round_trip_and_an_unwatch_stands(store):
    state = DiscordState(store)
    config = DiscordGuildConfig(exempt_role_ids=(3, 4), cooldown_s=12.5, emoji_positive="🍿")
    state.save_guild_config(GUILD, config)
    state.save_guild_config(GUILD, config.model_copy(update={"min_chars": 40}))
    assert state.guild_configs() == {GUILD: config.model_copy(update={"min_chars": 40})}

    state.add_channels([CHANNEL], DiscordMode.MONITOR, cursor=100)
    assert state.channels()[CHANNEL] == DiscordChannel(channel_id=CHANNEL, last_message_id=100)
    state.save_channel(
        DiscordChannel(channel_id=CHANNEL, guild_id=GUILD, watched=False, last_message_id=999)
    )
    state.add_channels([CHANNEL], DiscordMode.MONITOR, cursor=200)  # the next start
    kept = state.channels()[CHANNEL]
    assert (kept.watched, kept.guild_id, kept.last_message_id) == (False, GUILD, 100)


def test_the_cursor_only_moves_forward_and_a_message_is_recorded_once(store):
    state = DiscordState(store)
    state.add_channels([CHANNEL], DiscordMode.MONITOR, cursor=100)
    state.record_handled(CHANNEL, GUILD, 300, handled(300, "discord:r300"))
    state.record_handled(CHANNEL, GUILD, 200, handled(200, "discord:r200"))
    state.record_handled(CHANNEL, GUILD, 300, handled(300, "discord:r300"))
    assert state.channels()[CHANNEL].last_message_id == 300
    assert state.message(CHANNEL, 300).review_id == "discord:r300"

    edited = handled(300, "discord:r300:e1", at=NOW + timedelta(seconds=5))
    state.record_handled(CHANNEL, GUILD, 300, edited)
    row = state.message(CHANNEL, 300)
    assert (row.review_id, row.written_at) == ("discord:r300:e1", edited.written_at)
    assert state.last_written(GUILD, 7) == edited.written_at
    assert state.last_written(GUILD, 8) is None


def test_a_deleted_message_loses_the_text_of_all_its_reviews(store):
    state = DiscordState(store)
    first = classified(store, 300, 0.9)
    review = Review(
        id=f"{first}:e1",
        text="edited",
        source=Source.DISCORD,
        chat_id=str(CHANNEL),
        user_id="7",
        message_id="300",
    )
    store.save_verdicts([Verdict(review=review, prediction=prediction(0.2))])
    other = classified(store, 301, 0.9)
    assert state.erase_message(CHANNEL, 300) == 2
    with store.session() as session:
        texts = {r.id: r.text for r in session.query(ReviewRow).all()}
    assert texts == {first: None, review.id: None, other: "review 301"}


def test_the_mood_counts_each_message_once_with_its_current_verdict(store):
    state = DiscordState(store)
    yesterday = NOW - timedelta(days=1)
    for message_id, p, at in [(1, 0.9, yesterday), (2, 0.1, yesterday), (3, 0.05, NOW)]:
        review_id = classified(store, message_id, p, at)
        row = handled(message_id, review_id, at=at)
        state.record_handled(CHANNEL, GUILD, message_id, row)
        state.save_message(replace(row, label=Label.NEGATIVE, emoji="👎"))
    mood = state.mood(CHANNEL, NOW - timedelta(days=7))
    assert [(d.day, d.reviews, d.positive) for d in mood] == [
        (yesterday.date(), 2, 1),
        (NOW.date(), 1, 0),
    ]
    negatives = state.most_negative(CHANNEL, NOW - timedelta(days=7), limit=5)
    assert [n.message_id for n in negatives] == [3, 2]
    assert negatives[0].guild_id == GUILD

    assert state.forget_member(7) == 3
    assert state.mood(CHANNEL, NOW - timedelta(days=7)) == []


def test_opted_out_members_of_discord_only(store):
    store.set_opted_out(Source.DISCORD, "7", True)
    store.set_opted_out(Source.TELEGRAM, "8", True)
    assert DiscordState(store).opted_out_users() == {"7"}
