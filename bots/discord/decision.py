"""What the Discord bot does with a message and with a verdict: pure functions, no I/O.

    decision = decide(facts, channel, config, opted_out=False, last_classified_at=None)
    if decision.classify: submit Review(text=decision.text, ...)
    emoji = reaction_for(prediction, config)

Everything the bot knows about a message is passed in (`MessageFacts`), so the rules are tested
directly, and the live handler and the catch-up after a restart decide the same way. Times are
the message's own (its snowflake time, or its edit time), not the time the bot saw it: a burst
of messages posted while the bot was down is rate-limited exactly as if it had been up.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from reviewbot.messages import DiscordChannel, DiscordGuildConfig, Label, Prediction

#: Mentions (<@1>, <@!1>, <@&1>, <#1>), custom emoji (<:name:1>, <a:name:1>), timestamps
#: (<t:1:R>), slash command mentions (</name:1>): markup, not words of the review.
DISCORD_MARKUP = re.compile(r"<(?:@[!&]?\d+|#\d+|a?:\w+:\d+|t:-?\d+(?::\w)?|/[\w -]+:\d+)>")
URL = re.compile(r"https?://\S+")
CODE_BLOCK = re.compile(r"```.*?```", re.DOTALL)
SPACES = re.compile(r"[ \t]+")


class Skip(StrEnum):
    """Why a message is not classified (logged at DEBUG; a person is never told)."""

    NOT_WATCHED = "channel not watched"
    BOT = "sent by a bot or webhook"
    SYSTEM = "not a member's message"
    COMMAND = "looks like a command"
    EXEMPT = "author has an exempt role"
    OPTED_OUT = "author opted out"
    TOO_SHORT = "too short to be a review"
    TOO_LONG = "too long to be a review"
    COOLDOWN = "author is in their cooldown"
    UNCHANGED = "edit did not change the text"


@dataclass(frozen=True)
class MessageFacts:
    """What the decision needs to know about one message (or one edit of it)."""

    channel_id: int
    author_id: int
    content: str
    #: When this text was written: the message's creation, or its edit.
    written_at: datetime
    author_is_bot: bool = False
    #: A default message or a reply; joins, pins, boosts and the like are not reviews.
    is_member_message: bool = True
    author_role_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Decision:
    classify: bool
    #: The cleaned text to classify (empty when not classified).
    text: str = ""
    skip: Skip | None = None


def clean(content: str) -> str:
    """The words of a message: without code blocks, links and Discord markup, spaces squeezed."""
    text = CODE_BLOCK.sub(" ", content)
    text = URL.sub(" ", text)
    text = DISCORD_MARKUP.sub(" ", text)
    lines = (SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def cooldown_left_s(
    config: DiscordGuildConfig, written_at: datetime, last_classified_at: datetime | None
) -> float:
    """Seconds of the member's cooldown left at `written_at` (0: none)."""
    if last_classified_at is None or config.cooldown_s <= 0:
        return 0.0
    elapsed = (written_at - last_classified_at).total_seconds()
    return max(0.0, config.cooldown_s - elapsed)


def decide(
    facts: MessageFacts,
    channel: DiscordChannel | None,
    config: DiscordGuildConfig,
    *,
    opted_out: bool,
    last_classified_at: datetime | None,
    command_prefixes: str = "!?/$.;",
) -> Decision:
    """Whether a message in a server is a review to classify, and its cleaned text."""
    if channel is None or not channel.watched or channel.channel_id != facts.channel_id:
        return Decision(False, skip=Skip.NOT_WATCHED)
    if facts.author_is_bot:
        return Decision(False, skip=Skip.BOT)
    if not facts.is_member_message:
        return Decision(False, skip=Skip.SYSTEM)
    stripped = facts.content.lstrip()
    if stripped and stripped[0] in command_prefixes:
        return Decision(False, skip=Skip.COMMAND)
    if facts.author_role_ids & set(config.exempt_role_ids):
        return Decision(False, skip=Skip.EXEMPT)
    if opted_out:
        return Decision(False, skip=Skip.OPTED_OUT)
    text = clean(facts.content)
    if len(text) < config.min_chars:
        return Decision(False, skip=Skip.TOO_SHORT)
    if len(text) > config.max_chars:
        return Decision(False, skip=Skip.TOO_LONG)
    if cooldown_left_s(config, facts.written_at, last_classified_at) > 0:
        return Decision(False, skip=Skip.COOLDOWN)
    return Decision(True, text=text)


def is_unsure(prediction: Prediction, config: DiscordGuildConfig) -> bool:
    """Within the unsure band around the threshold. The tiny slack keeps binary floats
    (0.58 - 0.48 = 0.09999999999999998) on the side a person expects, as the admin views do."""
    return abs(prediction.p_positive - prediction.threshold) < config.unsure_band - 1e-9


def reaction_for(prediction: Prediction, config: DiscordGuildConfig) -> str:
    """The one emoji a classified message gets."""
    if is_unsure(prediction, config):
        return config.emoji_unsure
    if prediction.label == Label.POSITIVE:
        return config.emoji_positive
    return config.emoji_negative


def should_escalate(prediction: Prediction, config: DiscordGuildConfig) -> bool:
    """A negative at least `escalate_confidence` sure goes to the moderators (escalate mode)."""
    return (
        prediction.label == Label.NEGATIVE
        and not is_unsure(prediction, config)
        and 1.0 - prediction.p_positive >= config.escalate_confidence - 1e-9
    )


def corrected_label(served: Label) -> Label:
    """The label a member means by the "wrong" reaction: the other one."""
    return Label.NEGATIVE if served == Label.POSITIVE else Label.POSITIVE


# -- review ids: derived from Discord's ids, so a message seen twice is the same review ---------

REVIEW_PREFIX = "discord:"


def message_review_id(channel_id: int, message_id: int, edited_at: datetime | None = None) -> str:
    """`discord:<channel>:<message>`, or `...:e<edit time in ms>` for an edited text (a new
    review: the worker answers a review id once)."""
    base = f"{REVIEW_PREFIX}{channel_id}:{message_id}"
    return base if edited_at is None else f"{base}:e{int(edited_at.timestamp() * 1000)}"


def interaction_review_id(interaction_id: int) -> str:
    return f"{REVIEW_PREFIX}i:{interaction_id}"


def review_version(review_id: str) -> int:
    """Which text of its message a review is: 0 for the original, the edit time in ms for an
    edit, so the verdict of an older text never replaces a newer one's."""
    _, _, last = review_id.rpartition(":")
    return int(last[1:]) if last.startswith("e") and last[1:].isdigit() else 0


def parse_message_review_id(review_id: str) -> tuple[int, int] | None:
    """(channel id, message id) of a watched message's review id; None for other ids."""
    if not review_id.startswith(REVIEW_PREFIX):
        return None
    parts = review_id[len(REVIEW_PREFIX) :].split(":")
    if len(parts) not in (2, 3) or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return int(parts[0]), int(parts[1])
