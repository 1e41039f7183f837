"""👍 / 👎 under an answer: "the verdict is right" / "wrong", stored through storage as the
label the person says is right. One vote per person per review: a second tap replaces the
first. The tap is always answered (the spinner on the button stops) and the buttons show the
vote."""

import logging

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, ContextTypes

from bots.telegram.handlers.common import language, services
from bots.telegram.markup import (
    FEEDBACK_PREFIX,
    feedback_keyboard,
    feedback_label,
    parse_feedback,
)
from frontend import texts

log = logging.getLogger(__name__)


async def feedback_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    lang = language(update)
    parsed = parse_feedback(query.data or "")
    if parsed is None:
        await query.answer()
        return
    review_id, vote, model_label = parsed
    try:
        await services(context).in_store(
            "add_feedback", review_id, str(query.from_user.id), feedback_label(vote, model_label)
        )
    except KeyError:
        # Forgotten (/forget, retention) or never stored: say so, and take the buttons away.
        await query.answer(texts.sentence("feedback_gone", lang), show_alert=True)
        await _set_keyboard(query, None)
        return
    await query.answer(texts.sentence("feedback_thanks", lang))
    await _set_keyboard(query, feedback_keyboard(review_id, model_label, vote))


async def _set_keyboard(query, keyboard) -> None:
    try:
        await query.edit_message_reply_markup(reply_markup=keyboard)
    except BadRequest as exc:
        # "message is not modified" (the same vote again) or the message is gone: nothing to do.
        log.debug("feedback buttons not changed: %s", exc)


HANDLERS = [CallbackQueryHandler(feedback_button, pattern=f"^{FEEDBACK_PREFIX}:")]
