"""/start, /help, /privacy, the command menu, unknown commands, groups, and starting without a
token: the real bot against the fake Bot API, no worker needed."""

import subprocess
import sys

from frontend import texts
from reviewbot.messages import Language
from storage.settings import StorageSettings
from tests.bots.telegram.conftest import ANA, BOB
from tests.bots.telegram.fake_bot_api import BOT_USERNAME, STICKER


async def test_start_and_help_say_what_the_bot_does_and_stores_in_the_persons_language(
    fake, running_bot
):
    retention = StorageSettings().retention_days
    async with running_bot():
        english = await fake.answer_to(fake.message(BOB, "/start"))
        spanish = await fake.answer_to(fake.message(ANA, "/help"))
        privacy = await fake.answer_to(fake.message(ANA, "/privacy"))
    assert texts.sentence("about", Language.EN) in english.text
    assert texts.privacy_text(retention, Language.EN) in english.text
    assert str(retention) in english.text
    assert texts.sentence("about", Language.ES) in spanish.text
    assert texts.sentence("usage", Language.ES) in spanish.text
    assert privacy.text == texts.privacy_text(retention, Language.ES)
    assert "/review <" in english.text  # "<text>" escaped on the way, shown as typed


async def test_the_command_menu_is_set_in_english_and_spanish(fake, running_bot):
    async with running_bot():
        pass
    english = [c["command"] for c in fake.commands[None]]
    assert english == ["review", "help", "privacy", "optout", "optin", "forget"]
    assert fake.commands["es"][0]["description"] == texts.sentence("cmd_review", Language.ES)


async def test_an_unknown_command_in_private_gets_the_usage(fake, running_bot):
    async with running_bot():
        answer = await fake.answer_to(fake.message(BOB, "/frobnicate <b>now</b>"))
    assert answer.text == texts.sentence("usage", Language.EN)


async def test_in_a_group_only_commands_addressed_to_the_bot_are_answered(fake, running_bot):
    group = -100555
    async with running_bot():
        chatter = fake.message(BOB, "just chatting about films", chat_id=group)
        other_bot = fake.message(BOB, "/help@some_other_bot", chat_id=group)
        sticker = fake.message(BOB, None, chat_id=group, **STICKER)
        ours = fake.message(BOB, f"/help@{BOT_USERNAME}", chat_id=group)
        await fake.answer_to(ours)
        await fake.confirmed()
    assert fake.answers_to(chatter) == fake.answers_to(other_bot) == fake.answers_to(sticker) == []


def test_without_a_token_the_command_exits_non_zero_with_one_sentence(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bots.telegram"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(sys.path)},
    )
    assert done.returncode != 0
    assert "REVIEWBOT_TELEGRAM_TOKEN is not set" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
