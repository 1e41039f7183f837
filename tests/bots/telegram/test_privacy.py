"""/optout, /optin and /forget: opted-out people are refused and nothing is queued; /forget asks
first, then the RQ forget job erases the person's history and the bot says when it is done."""

import asyncio

import redis
from sqlalchemy import select

from frontend import texts
from jobs.queueing import jobs_queue, work
from reviewbot.connection import connect_rq
from reviewbot.messages import Language
from storage.schema import ReviewRow
from tests.bots.telegram.conftest import ANA, BOB


async def test_optout_refuses_reviews_until_optin(fake, running_bot, worker_settings, redis_url):
    queued = redis.Redis.from_url(redis_url)
    async with running_bot():
        done = await fake.answer_to(fake.message(BOB, "/optout"))
        refused = await fake.answer_to(fake.message(BOB, "/review a fine film"))
        assert queued.xlen(worker_settings.stream) == 0
        back = await fake.answer_to(fake.message(BOB, "/optin"))
        accepted = fake.message(BOB, "/review a fine film")
        await fake.confirmed()
        await asyncio.sleep(0.2)
    assert done.text == texts.sentence("optout_done", Language.EN)
    assert refused.text == texts.sentence("opted_out", Language.EN)
    assert back.text == texts.sentence("optin_done", Language.EN)
    assert fake.answers_to(accepted) == []  # queued, waiting for a worker
    assert queued.xlen(worker_settings.stream) == 1


def stored_users(store) -> list[str]:
    with store.session() as session:
        return sorted(
            session.scalars(select(ReviewRow.user_id).where(ReviewRow.source == "telegram"))
        )


async def test_forget_asks_then_erases_and_says_when_done(
    fake, running_bot, serving_worker, store, redis_url
):
    with serving_worker():
        async with running_bot():
            for person, text in [(ANA, "Me encantó"), (ANA, "Aburrida"), (BOB, "Loved it")]:
                await fake.answer_to(fake.message(person, text))
            assert stored_users(store) == sorted([str(ANA.id)] * 2 + [str(BOB.id)])

            first = await fake.answer_to(fake.message(ANA, "/forget"))
            assert first.text == texts.sentence("forget_confirm", Language.ES)
            (yes_text, yes), (no_text, no) = first.buttons
            assert (yes_text, no_text) == (
                texts.sentence("forget_yes", Language.ES),
                texts.sentence("forget_no", Language.ES),
            )
            fake.tap(BOB, first, yes)  # not his button
            [alert] = await fake.wait_calls("answerCallbackQuery", 1)
            assert alert["text"] == texts.sentence("not_your_button", Language.EN)
            fake.tap(ANA, first, no)
            await fake.wait_calls("editMessageText", 1)
            assert first.text == texts.sentence("forget_cancelled", Language.ES)
            assert not first.buttons

            second = await fake.answer_to(fake.message(ANA, "/forget"))
            (_, erase), _ = second.buttons
            fake.tap(ANA, second, erase)
            await fake.wait_calls("answerCallbackQuery", 3)
            fake.tap(ANA, second, erase)  # a second tap (a stale button) starts no second job
            await fake.wait_calls("editMessageText", 3)
            assert second.text == texts.sentence("forget_started", Language.ES)
            queue = jobs_queue(connect_rq(redis_url))
            assert queue.count == 1
            work(queue, burst=True)  # `reviewbot jobs worker`, in this process
            [done] = await fake.wait_for(lambda s: s.reply_to == second.message_id)
            await fake.confirmed()
    assert done.text == texts.sentence("forget_done", Language.ES, count=2)
    assert stored_users(store) == [str(BOB.id)]
