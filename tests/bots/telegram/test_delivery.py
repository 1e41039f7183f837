"""How answers reach people when Telegram pushes back: flood control (429 retry_after), a
gateway error, a person who blocked the bot, a chat that no longer exists."""

import asyncio
import json
import time

import redis

from frontend import texts
from frontend.settings import FrontendSettings
from reviewbot.messages import Language
from tests.bots.telegram.conftest import ANA, BOB


async def test_flood_control_is_waited_out_and_the_answer_sent_once(
    fake, running_bot, serving_worker
):
    with serving_worker():
        async with running_bot():
            fake.flood_next = 1  # Telegram: 429, retry after 1 s
            started = time.monotonic()
            message = fake.message(BOB, "/review a tense, clever thriller")
            answer = await fake.answer_to(message)
            waited = time.monotonic() - started
            await fake.confirmed()
            await asyncio.sleep(0.3)
    assert fake.floods == 1
    assert waited >= 1.0  # the retry came after retry_after
    assert len(fake.answers_to(message)) == 1
    assert answer.buttons


async def test_a_gateway_error_on_a_direct_answer_retries_the_update(fake, running_bot):
    async with running_bot():
        fake.fail_next = 1  # 502 on the first try to answer /help
        message = fake.message(ANA, "/help")
        answer = await fake.answer_to(message)
        await fake.confirmed()
        await asyncio.sleep(0.3)
    assert texts.sentence("about", Language.ES) in answer.text
    assert len(fake.answers_to(message)) == 1
    assert len(fake.called("sendMessage")) == 2


async def test_blocked_or_vanished_chats_are_dead_lettered_not_retried(
    fake, running_bot, serving_worker, redis_url
):
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    dead = FrontendSettings().reply_dead_letter_stream
    with serving_worker():
        async with running_bot():
            fake.blocked.add(BOB.id)
            fake.unknown_chats.add(ANA.id)
            fake.message(BOB, "/review great")
            fake.message(ANA, "/review genial")
            deadline = time.monotonic() + 30
            while client.xlen(dead) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await asyncio.sleep(1.5)  # past the reply claim time: nothing is tried again
    letters = client.xrange(dead)
    reasons = sorted(fields["error"] for _, fields in letters)
    assert len(letters) == 2
    assert "Forbidden" in reasons[1] and "blocked" in reasons[1]
    assert "chat not found" in reasons[0].lower()
    assert {json.loads(f["entry"])["review_id"] for _, f in letters} == {
        f"telegram:{BOB.id}:1",
        f"telegram:{ANA.id}:1",
    }
    assert len(fake.called("sendMessage")) == 2  # one try each
    assert client.xlen("reviewbot:replies:telegram") == 0
