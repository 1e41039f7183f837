"""A person sends reviews; the real bot (PTB against the fake Bot API), a real Redis, a real
worker on the tiny checkpoint and a real SQLite history answer them."""

import asyncio

from frontend import texts
from reviewbot.messages import Language, Source
from tests.bots.telegram.conftest import ANA, BOB, replied
from tests.bots.telegram.fake_bot_api import BOT_USERNAME, PHOTO, STICKER, VOICE

HOSTILE = "<b>Great</b> film & _really_ *good* [link](http://x) `code` </i> &amp; 5 < 6"


def headline_words(lang: Language) -> set[str]:
    return {texts.label_text(label, lang) for label in ("positive", "negative")}


async def test_reviews_in_every_form_are_answered_once_as_replies(
    fake, running_bot, serving_worker, store
):
    group = -100777
    with serving_worker():
        async with running_bot():
            command = fake.message(BOB, "/review An absolute masterpiece,\nI loved every minute.")
            plain = fake.message(BOB, HOSTILE)
            spanish = fake.message(ANA, "Una película preciosa, la recomiendo.")
            original = fake.message(ANA, "A dull, lifeless remake.", chat_id=group)
            in_group = fake.message(
                BOB, f"/review@{BOT_USERNAME}", chat_id=group, reply_to=original
            )
            french = fake.message(BOB, "Un film magnifique, vraiment superbe et très émouvant.")
            long = fake.message(BOB, " ".join(["a wonderful and moving film"] * 120))
            answers = {
                name: await fake.answer_to(message)
                for name, message in [
                    ("command", command),
                    ("plain", plain),
                    ("spanish", spanish),
                    ("group", in_group),
                    ("french", french),
                    ("long", long),
                ]
            }
            await fake.confirmed()
            await asyncio.sleep(0.5)  # a second answer would come now
    for name, answer in answers.items():
        lang = Language.ES if name == "spanish" else Language.EN
        head = answer.text.splitlines()[0]
        assert head.split(" ")[1] in headline_words(lang), (name, head)
        assert ("confianza" if lang == Language.ES else "confidence") in head
        assert [text for text, _ in answer.buttons] == ["👍", "👎"]
    # The notes: another language, a text cut off (in italics).
    assert texts.sentence("other_language", Language.EN) in answers["french"].text
    assert "<i>" + texts.sentence("other_language", Language.EN) in answers["french"].html
    assert "only its first" in answers["long"].text
    # Newlines kept; the review quoted back under the verdict (a long one shortened).
    assert answers["command"].text.endswith("An absolute masterpiece,\nI loved every minute.")
    # What the person typed arrives as typed (the fake refuses HTML Telegram would refuse).
    assert answers["plain"].text.endswith(HOSTILE)
    assert "&lt;b&gt;Great&lt;/b&gt;" in answers["plain"].html
    # /review answering a message classifies that message, answering the /review.
    assert answers["group"].text.endswith("A dull, lifeless remake.")
    assert fake.answers_to(original) == []
    assert answers["long"].text.endswith("…")
    for message in (command, plain, spanish, in_group, french, long):
        assert len(fake.answers_to(message)) == 1
    assert {p["action"] for p in fake.called("sendChatAction")} == {"typing"}
    # Stored with the ids they were answered by, and marked replied.
    await replied(store, [f"telegram:{BOB.id}:{command['message_id']}"])
    with store.session() as session:
        from storage.schema import ReviewRow

        rows = {row.id: row for row in session.query(ReviewRow).filter_by(source=Source.TELEGRAM)}
    assert f"telegram:{group}:{in_group['message_id']}" in rows
    assert rows[f"telegram:{BOB.id}:{command['message_id']}"].replied_at is not None
    assert rows[f"telegram:{ANA.id}:{spanish['message_id']}"].user_id == str(ANA.id)


async def test_bad_input_gets_a_clear_answer_and_nothing_is_queued(
    fake, running_bot, worker_settings, redis_url
):
    import redis

    limit = worker_settings.max_review_chars
    async with running_bot(rate_limit_reviews=100):
        cases = {
            "empty": (fake.message(BOB, "/review"), texts.sentence("empty", Language.ES)),
            "blank": (fake.message(BOB, "/review    \n  "), None),
            "too long": (fake.message(BOB, "x" * (limit + 1)), str(limit)),
            "control": (fake.message(BOB, "nice film\x07 really"), "control"),
            "sticker": (fake.message(BOB, None, **STICKER), None),
            "photo": (fake.message(BOB, None, **PHOTO), None),
            "voice": (fake.message(ANA, None, **VOICE), None),
        }
        sticker = cases["sticker"][0]
        cases["reply to sticker"] = (fake.message(BOB, "/review", reply_to=sticker), None)
        answers = {name: await fake.answer_to(message) for name, (message, _) in cases.items()}
        await fake.confirmed()
    en, es = Language.EN, Language.ES
    assert answers["empty"].text == "The review is empty: send some text to classify."
    assert answers["blank"].text == answers["empty"].text
    assert f"the limit is {limit}" in answers["too long"].text
    assert "control or binary character" in answers["control"].text
    for name in ("sticker", "photo", "reply to sticker"):
        assert answers[name].text == texts.sentence("not_text", en)
    assert answers["voice"].text == texts.sentence("not_text", es)
    assert all(not answer.buttons for answer in answers.values())
    client = redis.Redis.from_url(redis_url)
    assert client.xlen(worker_settings.stream) == 0


async def test_over_the_rate_limit_or_a_full_queue_says_when_to_come_back(
    fake, running_bot, worker_settings, redis_url
):
    import redis

    queued = redis.Redis.from_url(redis_url)
    small_queue = worker_settings.model_copy(update={"max_concurrent_requests": 3})
    async with running_bot(stream_settings=small_queue, rate_limit_reviews=2):
        bob = [fake.message(BOB, f"review number {i}") for i in range(3)]
        [refusal] = await fake.wait_for(lambda s: s.chat_id == BOB.id)
        await fake.confirmed()
        assert queued.xlen(worker_settings.stream) == 2
        ana = [fake.message(ANA, f"reseña número {i}") for i in range(2)]
        [busy] = await fake.wait_for(lambda s: s.chat_id == ANA.id)
        await fake.confirmed()
        await asyncio.sleep(0.3)
    # One of Bob's three reviews in the window is refused, saying when to come back.
    assert refusal.text.startswith("You have sent a lot of reviews; please try again in")
    assert 1 <= int(refusal.text.rsplit(" ", 2)[1]) <= 60
    assert sum(len(fake.answers_to(m)) for m in bob) == 1
    # Queue bound 3: one of Ana's fills it; the other is told the queue is busy, in Spanish.
    assert busy.text.startswith("Hay demasiadas reseñas en espera; inténtalo de nuevo en")
    assert sum(len(fake.answers_to(m)) for m in ana) == 1
    assert queued.xlen(worker_settings.stream) == 3
