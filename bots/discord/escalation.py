"""Escalate mode: a confident negative posted to the server's mod-log channel, with a jump link
and the buttons "looks fine" and "delete message".

The buttons are `DynamicItem`s: the channel and message ids live in their custom_id, so they
work on posts made before a restart (no view state to lose).
"""

import logging

import discord

from bots.discord.access import bot_permissions, is_moderator, language_of
from frontend.texts import confidence, sentence
from reviewbot.messages import Language, Verdict
from storage.discord_state import HandledMessage

log = logging.getLogger(__name__)

#: Characters of the review quoted in the post; the jump link leads to the rest.
QUOTE_CHARS = 600
ACTIONS = r"reviewbot:(?P<action>fine|delete):(?P<channel>\d+):(?P<message>\d+)"


def jump_url(guild_id: int | None, channel_id: int, message_id: int) -> str:
    return f"https://discord.com/channels/{guild_id or '@me'}/{channel_id}/{message_id}"


class ModerationButton(discord.ui.DynamicItem[discord.ui.Button], template=ACTIONS):
    def __init__(self, action: str, channel_id: int, message_id: int, label: str = "") -> None:
        style = discord.ButtonStyle.danger if action == "delete" else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(
                label=label or action,
                style=style,
                custom_id=f"reviewbot:{action}:{channel_id}:{message_id}",
            )
        )
        self.action = action
        self.channel_id = channel_id
        self.message_id = message_id

    @classmethod
    async def from_custom_id(cls, interaction, item, match, /) -> "ModerationButton":
        return cls(match["action"], int(match["channel"]), int(match["message"]))

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        bot = interaction.client
        config = bot.state.config(interaction.guild_id)
        if is_moderator(interaction, config, bot.settings.moderator_role):
            return True
        await interaction.response.send_message(
            sentence("moderators_only", language_of(interaction)), ephemeral=True
        )
        return False

    async def callback(self, interaction: discord.Interaction) -> None:
        lang = language_of(interaction)
        moderator = interaction.user.mention
        if self.action == "fine":
            await _close_post(interaction, sentence("marked_fine", lang, moderator=moderator))
            return
        channel = interaction.guild.get_channel(self.channel_id) if interaction.guild else None
        if channel is not None and not bot_permissions(channel).manage_messages:
            await interaction.response.send_message(
                sentence(
                    "missing_permission",
                    lang,
                    permission="Manage Messages",
                    channel=channel.mention,
                ),
                ephemeral=True,
            )
            return
        target = interaction.client.get_partial_messageable(
            self.channel_id, guild_id=interaction.guild_id
        ).get_partial_message(self.message_id)
        try:
            await target.delete()
        except discord.NotFound:
            await _close_post(interaction, sentence("message_gone", lang))
            return
        except discord.Forbidden:
            await interaction.response.send_message(
                sentence(
                    "missing_permission",
                    lang,
                    permission="Manage Messages",
                    channel=f"<#{self.channel_id}>",
                ),
                ephemeral=True,
            )
            return
        state = interaction.client.state
        await state.run(state.db.erase_message, self.channel_id, self.message_id)
        await _close_post(interaction, sentence("deleted_by", lang, moderator=moderator))


async def _close_post(interaction: discord.Interaction, outcome: str) -> None:
    """The post keeps its quote; its buttons give way to what the moderator decided."""
    content = (interaction.message.content if interaction.message else "") or ""
    await interaction.response.edit_message(
        content=f"{content}\n{outcome}".strip(),
        view=None,
        allowed_mentions=discord.AllowedMentions.none(),
    )


def escalation_post(
    row: HandledMessage, verdict: Verdict, lang: Language
) -> tuple[str, discord.Embed, discord.ui.View]:
    """The mod-log post of a confident negative: a headline, the quoted review, a jump link, the
    buttons."""
    url = jump_url(row.guild_id, row.channel_id, row.message_id)
    content = sentence(
        "escalated",
        lang,
        confidence=f"{confidence(verdict.prediction):.2f}",
        author=f"<@{row.author_id}>",
        channel=f"<#{row.channel_id}>",
    )
    text = verdict.review.text
    quote = text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"
    embed = discord.Embed(description=quote, url=url, title=sentence("jump", lang))
    view = discord.ui.View(timeout=None)
    view.add_item(
        ModerationButton("fine", row.channel_id, row.message_id, sentence("looks_fine", lang))
    )
    view.add_item(
        ModerationButton("delete", row.channel_id, row.message_id, sentence("delete_message", lang))
    )
    return content, embed, view
