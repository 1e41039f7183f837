"""Webhook mode: Telegram POSTs updates to the bot; 200 only once the update was handled, and
with a secret token set, nothing without it is looked at."""

import asyncio

import aiohttp

from frontend import texts
from reviewbot.messages import Language
from tests.bots.telegram.conftest import ANA, BOB

SECRET = "s3cret_Token-for-tests"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


def take_update(fake) -> dict:
    """The update the fake made for a message, delivered by webhook instead of getUpdates."""
    return fake.updates.pop()


async def post(bot, update: dict, secret: str | None = None) -> int:
    url = f"http://127.0.0.1:{bot.webhook.port}/tg/hook"
    headers = {HEADER: secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=update, headers=headers) as response,
    ):
        return response.status


async def test_webhook_with_a_secret_token(fake, running_bot, serving_worker):
    with serving_worker():
        async with running_bot(
            mode="webhook",
            webhook_url="https://bot.example.org/tg/hook",
            webhook_port=0,
            webhook_secret=SECRET,
        ) as bot:
            assert fake.webhook["url"] == "https://bot.example.org/tg/hook"
            assert fake.webhook["secret_token"] == SECRET
            assert set(fake.webhook["allowed_updates"]) == {"message", "callback_query"}

            message = fake.message(BOB, "/review a warm, funny film")
            update = take_update(fake)
            assert await post(bot, update) == 403
            assert await post(bot, update, "wrong") == 403
            assert await post(bot, update, SECRET) == 200
            answer = await fake.answer_to(message)
            assert await post(bot, update, SECRET) == 200  # Telegram sending it again
            assert await post(bot, {"not": "an update"} | {"update_id": "x"}, SECRET) == 400

            fake.fail_next = 1  # the answer to /help fails once: not 200, Telegram resends
            helped = fake.message(ANA, "/help")
            update = take_update(fake)
            assert await post(bot, update, SECRET) == 503
            assert await post(bot, update, SECRET) == 200
            await asyncio.sleep(0.5)
    assert answer.buttons and len(fake.answers_to(message)) == 1
    assert len(fake.answers_to(helped)) == 1
    assert texts.sentence("about", Language.ES) in fake.answers_to(helped)[0].text


async def test_webhook_without_a_secret_token_takes_every_post(fake, running_bot):
    async with running_bot(
        mode="webhook", webhook_url="https://bot.example.org/tg/hook", webhook_port=0
    ) as bot:
        assert not fake.webhook.get("secret_token")
        message = fake.message(BOB, "/privacy")
        assert await post(bot, take_update(fake)) == 200
        answer = await fake.answer_to(message)
    assert answer.text.startswith("What is stored")
