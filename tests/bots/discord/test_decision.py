"""The decision, as pure functions: watched? a bot? a command? exempt? opted out? long enough?
in the cooldown? which emoji? escalate? which review id?"""

from datetime import UTC, datetime, timedelta

import pytest

from bots.discord.decision import (
    Decision,
    MessageFacts,
    Skip,
    clean,
    corrected_label,
    decide,
    interaction_review_id,
    message_review_id,
    parse_message_review_id,
    reaction_for,
    review_version,
    should_escalate,
)
from reviewbot.messages import DiscordChannel, DiscordGuildConfig, Label, Language, Prediction

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
CHANNEL = DiscordChannel(channel_id=10, guild_id=1)
CONFIG = DiscordGuildConfig(cooldown_s=30, min_chars=10, max_chars=100, exempt_role_ids=(7,))
REVIEW = "A wonderful film, truly moving."


def facts(content: str = REVIEW, **values) -> MessageFacts:
    return MessageFacts(
        **({"channel_id": 10, "author_id": 5, "content": content, "written_at": NOW} | values)
    )


def decision(message: MessageFacts, channel=CHANNEL, config=CONFIG, opted_out=False, last=None):
    return decide(message, channel, config, opted_out=opted_out, last_classified_at=last)


def test_a_review_in_a_watched_channel_is_classified_with_its_cleaned_text():
    assert decision(facts("<@123> A wonderful   film https://x.y/z , truly moving.")) == Decision(
        True, text="A wonderful film , truly moving."
    )


@pytest.mark.parametrize(
    ("message", "channel", "opted_out", "skip"),
    [
        (facts(), None, False, Skip.NOT_WATCHED),
        (facts(), CHANNEL.model_copy(update={"watched": False}), False, Skip.NOT_WATCHED),
        (facts(channel_id=11), CHANNEL, False, Skip.NOT_WATCHED),
        (facts(author_is_bot=True), CHANNEL, False, Skip.BOT),
        (facts(is_member_message=False), CHANNEL, False, Skip.SYSTEM),
        (facts("!play " + REVIEW), CHANNEL, False, Skip.COMMAND),
        (facts("  /" + REVIEW), CHANNEL, False, Skip.COMMAND),
        (facts(author_role_ids=frozenset({3, 7})), CHANNEL, False, Skip.EXEMPT),
        (facts(), CHANNEL, True, Skip.OPTED_OUT),
        (facts("too short"), CHANNEL, False, Skip.TOO_SHORT),
        (
            facts("<@1> <#2> https://example.com/long/link <:emoji:123>"),
            CHANNEL,
            False,
            Skip.TOO_SHORT,
        ),
        (facts("```a code block that is long enough```"), CHANNEL, False, Skip.TOO_SHORT),
        (facts("x" * 101), CHANNEL, False, Skip.TOO_LONG),
    ],
)
def test_what_is_not_a_review_is_skipped_with_its_reason(message, channel, opted_out, skip):
    assert decision(message, channel, opted_out=opted_out) == Decision(False, skip=skip)


def test_the_cooldown_counts_from_the_members_last_classified_text_by_message_time():
    assert decision(facts(), last=NOW - timedelta(seconds=29)).skip == Skip.COOLDOWN
    assert decision(facts(), last=NOW - timedelta(seconds=30)).classify
    assert decision(facts(), config=CONFIG.model_copy(update={"cooldown_s": 0}), last=NOW).classify


def prediction(p: float, threshold: float = 0.5) -> Prediction:
    return Prediction(
        label=Label.POSITIVE if p >= threshold else Label.NEGATIVE,
        p_positive=p,
        threshold=threshold,
        language=Language.EN,
        n_tokens=8,
        truncated=False,
        model_version="tiny",
    )


@pytest.mark.parametrize(
    ("p", "emoji"),
    [
        (0.95, "👍"),
        (0.61, "👍"),
        (0.6, "👍"),
        (0.59, "🤔"),
        (0.5, "🤔"),
        (0.41, "🤔"),
        (0.4, "👎"),
        (0.02, "👎"),
    ],
)
def test_the_emoji_is_unsure_within_the_band_around_the_threshold(p, emoji):
    assert reaction_for(prediction(p), DiscordGuildConfig(unsure_band=0.1)) == emoji


def test_custom_emoji_and_a_zero_band():
    config = DiscordGuildConfig(emoji_positive="🍿", emoji_negative="🍅", unsure_band=0)
    assert reaction_for(prediction(0.5), config) == "🍿"
    assert reaction_for(prediction(0.49), config) == "🍅"


def test_only_confident_negatives_escalate():
    config = DiscordGuildConfig(escalate_confidence=0.8, unsure_band=0.1)
    assert should_escalate(prediction(0.2), config)
    assert not should_escalate(prediction(0.21), config)
    assert not should_escalate(prediction(0.9), config)
    assert not should_escalate(prediction(0.45), DiscordGuildConfig(escalate_confidence=0.5))


def test_the_wrong_emoji_means_the_other_label():
    assert corrected_label(Label.POSITIVE) == Label.NEGATIVE
    assert corrected_label(Label.NEGATIVE) == Label.POSITIVE


def test_review_ids_come_from_discords_ids_and_an_edit_is_a_review_of_its_own():
    assert message_review_id(10, 20) == "discord:10:20"
    edited = message_review_id(10, 20, NOW)
    assert edited == f"discord:10:20:e{int(NOW.timestamp() * 1000)}"
    assert parse_message_review_id(edited) == parse_message_review_id("discord:10:20") == (10, 20)
    assert parse_message_review_id(interaction_review_id(99)) is None
    assert review_version("discord:10:20") == 0 < review_version(edited)
    assert parse_message_review_id("telegram:1:2") is None


def test_cleaning_keeps_the_words_and_lines():
    assert (
        clean("Great <a:dance:123> film!\n\n  <t:1700000000:R>  Loved it")
        == "Great film!\nLoved it"
    )
