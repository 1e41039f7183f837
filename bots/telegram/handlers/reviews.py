"""Reviews in: `/review <text>`, `/review` as a reply to a message, plain text in a private chat,
and the clear refusals (empty, too long, control characters, not text, opted out, over the
per-person rate limit, busy queue).

A handler only queues the review; the verdict comes back later through the reply stream
(bots/telegram/sender.py), so a slow classification never holds a handler and a bot restarted
in between still answers. The review's id is derived from the chat and the person's message,
so an update Telegram delivers again is the same review, which the worker answers once.
"""

import logging
import time

from telegram import Message, Update
from telegram.constants import ChatAction
from telegram.ext import CommandHandler, ContextTypes, MessageHandler, filters

from bots.telegram.handlers.common import language, say, services
from frontend import texts
from reviewbot.messages import Review, Source
from reviewbot.validation import Busy, InvalidReview, check_text

log = logging.getLogger(__name__)

#: Telegram shows "typing…" for 5 s or until the bot's next message; one action per chat within
#: this many seconds is enough (a burst of reviews from one chat sends one, not one each, which
#: would spend the bot's outgoing rate on a cosmetic).
TYPING_EVERY_S = 4.0


def review_id(chat_id: int, message_id: int) -> str:
    return f"telegram:{chat_id}:{message_id}"


def command_text(message: Message) -> str:
    """What follows the command, newlines kept: "/review@Bot  line 1\\nline 2" -> "line 1\\nline 2"."""
    parts = (message.text or "").split(None, 1)
    return parts[1] if len(parts) > 1 else ""


async def review_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/review <text>, or /review answering a message: that message's text is the review."""
    message = update.effective_message
    text = command_text(message)
    replied = message.reply_to_message
    if not text.strip() and replied is not None:
        text = replied.text or replied.caption or ""
        if not text:
            await say(message, texts.sentence("not_text", language(update)))
            return
    await submit(update, context, text)


async def plain_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message in a private chat."""
    if services(context).settings.private_plain_text:
        await submit(update, context, update.effective_message.text)
    else:
        await say(update.effective_message, texts.sentence("usage", language(update)))


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A sticker, photo, voice note, file... in a private chat."""
    await say(update.effective_message, texts.sentence("not_text", language(update)))


async def submit(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    found = services(context)
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    lang = language(update)
    # Cheap checks first: a bad input does not count against the person's rate limit.
    try:
        check_text(text, found.stream_settings.max_review_chars)
    except InvalidReview as error:
        await say(message, texts.submit_error_text(error, lang))
        return
    if await found.in_store("is_opted_out", Source.TELEGRAM, str(user.id)):
        await say(message, texts.sentence("opted_out", lang))
        return
    wait_s = await found.limiter.hit(str(user.id))
    if wait_s:
        await say(message, texts.sentence("rate_limited", lang, seconds=wait_s))
        return
    review = Review(
        id=review_id(chat.id, message.message_id),
        text=text,
        source=Source.TELEGRAM,
        chat_id=str(chat.id),
        user_id=str(user.id),
        message_id=str(message.message_id),
        reply_to=found.settings.reply_stream,
    )
    # Before the submit: the reply consumer may answer within milliseconds.
    await found.remember_language(user.id, lang)
    try:
        await found.client.submit(review)
    except Busy as error:
        await say(message, texts.submit_error_text(error, lang))
        return
    except InvalidReview as error:  # checked above; the client checks again
        await say(message, texts.submit_error_text(error, lang))
        return
    show_typing(context, chat.id)


def show_typing(context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> None:
    """ "typing…" while the review waits, in the background: a cosmetic must not hold the
    intake (it waits its turn in the outgoing rate limiter) and its failure loses nothing."""
    shown = context.application.bot_data.setdefault("typing_shown", {})
    now = time.monotonic()
    if now - shown.get(chat_id, -TYPING_EVERY_S) < TYPING_EVERY_S:
        return
    shown[chat_id] = now
    if len(shown) > 10_000:  # forget chats that have been quiet for a while
        for key in [k for k, at in shown.items() if now - at > TYPING_EVERY_S]:
            del shown[key]

    async def send() -> None:
        try:
            await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
        except Exception as exc:  # noqa: BLE001 - cosmetic only
            log.debug("typing action in chat %s failed: %s", chat_id, exc)

    context.application.create_task(send(), name="typing")


PRIVATE = filters.ChatType.PRIVATE
HANDLERS = [
    CommandHandler("review", review_command),
    MessageHandler(PRIVATE & filters.TEXT & ~filters.COMMAND, plain_text),
    # Anything else a person sends in private (stickers, photos, voice, files, locations...);
    # service messages (someone joined, a pinned message) are not theirs to answer.
    MessageHandler(PRIVATE & ~filters.TEXT & ~filters.StatusUpdate.ALL, not_text),
]
