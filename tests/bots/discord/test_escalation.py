"""Escalate mode: confident negatives go to the mod-log channel with a jump link and the
buttons "looks fine" / "delete message" (which says so when Manage Messages is missing).

The worker serves a copy of the tiny checkpoint whose classifier bias says "negative" loudly
(P(positive) near 0), so every review is a confident negative whatever the random weights say.
"""

import json
import shutil
from pathlib import Path

import pytest

from model import ModelSettings
from model.checkpoint import META_FILE
from reviewbot.messages import DiscordChannel, DiscordMode
from storage.discord_state import DiscordState
from tests.bots.discord.fake_discord import (
    BOT_PERMISSIONS,
    MANAGE_GUILD,
    MANAGE_MESSAGES,
    FakeDiscord,
)

NEGATIVE = "Terrible, boring, awful film: a dreadful waste of time."
MODERATOR = MANAGE_GUILD | 1 << 10


@pytest.fixture(scope="module")
def harsh_checkpoint(tiny_checkpoint: Path, tmp_path_factory) -> Path:
    import torch
    from safetensors.torch import load_file, save_file

    path = tmp_path_factory.mktemp("harsh") / "checkpoint"
    shutil.copytree(tiny_checkpoint, path)
    weights = load_file(path / "model.safetensors")
    (bias,) = [name for name in weights if name.endswith("out_proj.bias")]
    weights[bias] = torch.tensor([12.0, -12.0])  # logits (negative, positive)
    save_file(weights, path / "model.safetensors", metadata={"format": "pt"})
    meta = json.loads((path / META_FILE).read_text())
    # Another checkpoint, so another model version (the version is the content's hash).
    (path / META_FILE).write_text(json.dumps(meta | {"base_model": "harsh-tiny"}))
    return path


@pytest.fixture
def model_settings(harsh_checkpoint: Path) -> ModelSettings:
    return ModelSettings(checkpoint=harsh_checkpoint, device="cpu", cpu_threads=1)


async def escalating_server(fake: FakeDiscord, start_bot, bot_permissions=BOT_PERMISSIONS):
    guild = fake.add_guild(bot_permissions=bot_permissions)
    guild_id = int(guild["id"])
    channel, mod_log = fake.channels(guild)[0], fake.add_channel(guild_id)
    bot = await start_bot()
    await bot.state.save_channel(
        DiscordChannel(channel_id=channel, guild_id=guild_id, mode=DiscordMode.ESCALATE)
    )
    config = bot.state.config(guild_id).model_copy(
        update={"mod_log_channel_id": mod_log, "escalate_confidence": 0.95}
    )
    await bot.state.save_config(guild_id, config)
    return guild_id, channel, mod_log


async def escalation(fake: FakeDiscord, channel: int, mod_log: int, text: str = NEGATIVE):
    message = await fake.post(channel, 101, text)
    post = await fake.wait_until(
        lambda: next((s for s in fake.sent if s["channel_id"] == mod_log), None)
    )
    return message, post, fake.messages[mod_log][post["id"]]


async def test_a_confident_negative_is_posted_with_a_jump_link_and_a_moderator_deletes_it(
    fake: FakeDiscord, start_bot, running_worker, store
):
    with running_worker(store=store):
        guild_id, channel, mod_log = await escalating_server(fake, start_bot)
        message, post, payload = await escalation(fake, channel, mod_log)
        assert fake.puts_on(channel, message) == ["👎"]
        assert (
            post["embeds"][0]["url"]
            == f"https://discord.com/channels/{guild_id}/{channel}/{message}"
        )
        assert NEGATIVE in post["embeds"][0]["description"]
        assert "<@101>" in post["content"] and f"<#{channel}>" in post["content"]
        buttons = [c["custom_id"] for row in post["components"] for c in row["components"]]
        assert buttons == [
            f"reviewbot:fine:{channel}:{message}",
            f"reviewbot:delete:{channel}:{message}",
        ]

        refused = await fake.click(payload, buttons[1], guild_id=guild_id, user_id=555)
        assert "Only moderators" in (await fake.wait_until(lambda: fake.answered(refused)))[0]
        assert message in fake.messages[channel]

        deleting = await fake.click(
            payload, buttons[1], guild_id=guild_id, user_id=556, permissions=MODERATOR
        )
        await fake.wait_until(lambda: fake.callbacks.get(deleting))
        assert (channel, message) in fake.deleted
        answer = fake.callbacks[deleting][0]
        assert answer["type"] == 7  # the post is updated: its buttons give way to the outcome
        assert "Deleted by <@556>" in answer["data"]["content"]
        assert answer["data"]["components"] == []
        from tests.bots.discord.test_watching import review_row

        await fake.wait_until(
            lambda: review_row(store, f"discord:{channel}:{message}").text is None
        )


async def test_looks_fine_closes_the_post_and_delete_says_when_manage_messages_is_missing(
    fake: FakeDiscord, start_bot, running_worker, store
):
    with running_worker(store=store):
        guild_id, channel, mod_log = await escalating_server(
            fake, start_bot, bot_permissions=BOT_PERMISSIONS & ~MANAGE_MESSAGES
        )
        message, post, payload = await escalation(fake, channel, mod_log)
        deleting = await fake.click(
            payload,
            f"reviewbot:delete:{channel}:{message}",
            guild_id=guild_id,
            user_id=556,
            permissions=MODERATOR,
        )
        answer = (await fake.wait_until(lambda: fake.answered(deleting)))[0]
        assert "Manage Messages" in answer and f"<#{channel}>" in answer
        assert message in fake.messages[channel]

        fine = await fake.click(
            payload,
            f"reviewbot:fine:{channel}:{message}",
            guild_id=guild_id,
            user_id=556,
            permissions=MODERATOR,
        )
        await fake.wait_until(lambda: fake.callbacks.get(fine))
        assert "Marked fine by <@556>" in fake.callbacks[fine][0]["data"]["content"]
        # Handled once: a second verdict of the same message would not post again.
        assert len([s for s in fake.sent if s["channel_id"] == mod_log]) == 1
        # Recorded once Discord accepted the post (a write that may wait for SQLite's lock).
        state = DiscordState(store)
        await fake.wait_until(lambda: state.message(channel, message).escalation_message_id)
        assert state.message(channel, message).escalation_message_id == post["id"]
