"""👍 / 👎 under an answer: stored through storage, one vote per person per review, a second tap
changes it, the tap is answered and the buttons show the vote."""

from sqlalchemy import select

from frontend import texts
from reviewbot.messages import Label, Language
from storage.schema import FeedbackRow
from tests.bots.telegram.conftest import ANA, BOB


def votes(store, review_id: str) -> dict[str, Label]:
    with store.session() as session:
        rows = session.scalars(select(FeedbackRow).where(FeedbackRow.review_id == review_id))
        return {row.user_id: row.label for row in rows}


async def test_votes_are_stored_changed_and_shown(fake, running_bot, serving_worker, store):
    with serving_worker():
        async with running_bot():
            review = fake.message(BOB, "/review What a wonderful, moving film.")
            answer = await fake.answer_to(review)
            review_id = f"telegram:{BOB.id}:{review['message_id']}"
            model_label = (
                Label.POSITIVE
                if answer.text.split(" ")[1] == texts.label_text(Label.POSITIVE)
                else Label.NEGATIVE
            )
            other = Label.NEGATIVE if model_label == Label.POSITIVE else Label.POSITIVE
            (_, right), (_, wrong) = answer.buttons

            fake.tap(BOB, answer, right)
            [thanks] = await fake.wait_calls("answerCallbackQuery", 1)
            await fake.wait_calls("editMessageReplyMarkup", 1)  # after the answer
            assert votes(store, review_id) == {str(BOB.id): model_label}
            assert thanks["text"] == texts.sentence("feedback_thanks", Language.EN)
            assert [text for text, _ in answer.buttons] == ["👍 ✓", "👎"]

            fake.tap(BOB, answer, wrong)  # changes his vote
            await fake.wait_calls("editMessageReplyMarkup", 2)
            assert votes(store, review_id) == {str(BOB.id): other}
            assert [text for text, _ in answer.buttons] == ["👍", "👎 ✓"]

            fake.tap(ANA, answer, right)  # another person's vote is hers
            *_, gracias = await fake.wait_calls("answerCallbackQuery", 3)
            await fake.wait_calls("editMessageReplyMarkup", 3)
            assert votes(store, review_id) == {str(BOB.id): other, str(ANA.id): model_label}
            assert gracias["text"] == texts.sentence("feedback_thanks", Language.ES)

            fake.tap(ANA, answer, right)  # the same vote again: still one, still answered
            await fake.wait_calls("editMessageReplyMarkup", 4)
            assert len(votes(store, review_id)) == 2

            # A review that is no longer stored: told so, and the buttons go away.
            store.forget_user("telegram", str(BOB.id))
            fake.tap(BOB, answer, right)
            *_, gone = await fake.wait_calls("answerCallbackQuery", 5)
            await fake.wait_calls("editMessageReplyMarkup", 5)
            await fake.confirmed()
    assert gone["text"] == texts.sentence("feedback_gone", Language.EN)
    assert gone["show_alert"] in (True, "true", "True")
    assert not answer.buttons
    assert len(fake.answers_to(review)) == 1
