"""Verdicts out: the reply consumer's handler, which sends each verdict to the person.

`frontend.replies.ReplyConsumer` reads the bot's reply stream and calls `ReplySender` once per
verdict; the entry is acked only after this returns, i.e. after Telegram accepted the message.
Final refusals (the person blocked the bot, the chat is gone, Telegram rejects the message)
raise `ReplyRefused`: logged and dead-lettered by the consumer, never retried forever. A 429 is
retried after its retry_after by PTB's AIORateLimiter; network errors are raised, so the
consumer retries the entry later.

Then `mark_replied` records when the person got the answer. It runs in batches in the
background: a database hiccup must not fail the handler, which would send the answer twice.
"""

import asyncio
import logging

from telegram import Bot, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden

from bots.telegram.markup import feedback_keyboard, verdict_html
from bots.telegram.services import Services
from frontend.replies import ReplyRefused
from reviewbot.messages import Verdict

log = logging.getLogger(__name__)

#: Seconds between two mark_replied batches (and between retries when the database is away).
MARK_EVERY_S = 0.5


class ReplySender:
    def __init__(self, bot: Bot, found: Services) -> None:
        self.bot = bot
        self.services = found
        self._replied: list[str] = []
        self.stop = asyncio.Event()

    async def __call__(self, verdict: Verdict) -> None:
        """Send the answer. The consumer calls this once per entry at a time, also when a send
        outlasts the claim time (frontend.replies skips entries it is still handling)."""
        review = verdict.review
        if not review.chat_id or not review.message_id:
            raise ReplyRefused("the review names no Telegram chat or message to answer")
        lang = await self.services.language_of(review.user_id)
        keyboard = (
            feedback_keyboard(review.id, verdict.prediction.label) if verdict.prediction else None
        )
        send = {
            "text": verdict_html(verdict, lang),
            "parse_mode": ParseMode.HTML,
            "reply_parameters": ReplyParameters(
                int(review.message_id), allow_sending_without_reply=True
            ),
            "reply_markup": keyboard,
        }
        try:
            try:
                await self.bot.send_message(chat_id=int(review.chat_id), **send)
            except ChatMigrated as moved:  # the group became a supergroup: same people, new id
                await self.bot.send_message(chat_id=moved.new_chat_id, **send)
        except (Forbidden, BadRequest) as exc:
            # Bot blocked or kicked, chat not found, message rejected: final.
            raise ReplyRefused(f"{type(exc).__name__}: {exc}") from exc
        self._replied.append(review.id)

    async def mark_replied(self) -> None:
        """Record the answers sent so far; on failure they are kept for the next round."""
        if not self._replied:
            return
        batch, self._replied = self._replied, []
        try:
            await self.services.in_store("mark_replied", batch)
        except Exception as exc:  # noqa: BLE001 - database away: try again next round
            log.warning("recording %d replies failed, will retry: %s", len(batch), exc)
            self._replied = batch + self._replied

    async def run(self) -> None:
        """Record replies every MARK_EVERY_S until `stop`, then once more."""
        while not self.stop.is_set():
            try:
                await asyncio.wait_for(self.stop.wait(), MARK_EVERY_S)
            except TimeoutError:
                pass
            await self.mark_replied()
        await self.mark_replied()
