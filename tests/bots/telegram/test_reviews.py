"""A person sends reviews; the real bot (PTB against the fake Bot API), a real Redis, a real
worker on the tiny checkpoint and a real SQLite history answer them."""

import asyncio

from bots.telegram.handlers.reviews import review_id
from tests.bots.telegram.conftest import ANA, BOB


async def test_review_command_is_answered_once_as_a_reply_with_feedback_buttons(
    fake, running_bot, running_worker, store
):
    with running_worker(store=store):
        async with running_bot():
            message = fake.message(BOB, "/review An absolute masterpiece, I loved every minute.")
            answer = await fake.answer_to(message)
            await fake.confirmed()
            await asyncio.sleep(0.3)
    assert answer.text.splitlines()[0].split(" ")[1] in ("Positive", "Negative")
    assert "confidence" in answer.text and "language" in answer.text
    assert [text for text, _ in answer.buttons] == ["👍", "👎"]
    assert len(fake.answers_to(message)) == 1
    assert fake.called("sendChatAction")[0]["action"] == "typing"
