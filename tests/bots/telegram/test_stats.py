"""/stats: the figures for admin ids, a polite refusal for everyone else."""

from bots.telegram.handlers.stats import stats_text
from frontend import texts
from reviewbot.messages import Language
from tests.bots.telegram.conftest import ADMIN, ANA, BOB, replied


async def test_stats_for_admins_and_a_refusal_for_others(fake, running_bot, serving_worker, store):
    with serving_worker():
        async with running_bot():
            reviews = [fake.message(BOB, text) for text in ("Loved it", "Hated it")]
            for review in reviews:
                await fake.answer_to(review)
            await replied(store, [f"telegram:{BOB.id}:{r['message_id']}" for r in reviews])
            figures = await fake.answer_to(fake.message(ADMIN, "/stats"))
            refused = await fake.answer_to(fake.message(ANA, "/stats"))
    stats = store.usage_stats()
    assert stats.reviews_today == 3  # Bob's two and the worker's warm-up review
    assert stats.p50_answer_s is not None and stats.model_version and stats.threshold == 0.48
    assert figures.text == stats_text(stats, 0, Language.EN)
    assert "threshold 0.48" in figures.text
    assert refused.text == texts.sentence("admin_only", Language.ES)
