"""/forget: a confirmation with two buttons, then the RQ forget job deletes everything stored
about the person, and the bot tells them when it is done.

The jobs being watched are kept in Redis (job id -> where to answer), so a bot restarted while a
deletion runs still reports it. `ForgetWatcher` polls their status: an RQ job's result is only
in Redis, and a deletion takes seconds, so a poll a second is cheap and quick enough.
"""

import asyncio
import json
import logging

from telegram import ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from bots.telegram.handlers.common import language, say, services
from bots.telegram.markup import FORGET_PREFIX, escape, forget_keyboard, parse_forget
from bots.telegram.services import PREFIX, Services
from frontend import texts
from reviewbot.messages import Language, Source

log = logging.getLogger(__name__)

PENDING_KEY = f"{PREFIX}forgets"
#: Seconds between two looks at the running deletions.
POLL_S = 1.0
#: A confirmation message's job id is kept this long, so a second tap starts no second job.
CONFIRMED_TTL_S = 24 * 3600


async def forget_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = language(update)
    await say(
        update.effective_message,
        texts.sentence("forget_confirm", lang),
        keyboard=forget_keyboard(update.effective_user.id, lang),
    )


async def forget_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    lang = language(update)
    parsed = parse_forget(query.data or "")
    if parsed is None:
        await query.answer()
        return
    confirmed, owner = parsed
    if query.from_user.id != owner:
        await query.answer(texts.sentence("not_your_button", lang), show_alert=True)
        return
    if not confirmed:
        await query.answer()
        await _edit(query, texts.sentence("forget_cancelled", lang))
        return
    found = services(context)
    message = query.message
    if message is None:  # too old for Telegram to show us: the person can send /forget again
        await query.answer()
        return
    confirmed_key = f"{PREFIX}forget:{message.chat.id}:{message.message_id}"
    if not await found.redis.exists(confirmed_key):
        from jobs.queueing import enqueue_forget

        job = await asyncio.to_thread(
            enqueue_forget, found.jobs_queue(), Source.TELEGRAM.value, str(owner)
        )
        target = {"chat_id": message.chat.id, "message_id": message.message_id, "lang": lang}
        async with found.redis.pipeline(transaction=True) as pipe:
            pipe.set(confirmed_key, job.id, ex=CONFIRMED_TTL_S)
            pipe.hset(PENDING_KEY, job.id, json.dumps(target))
            await pipe.execute()
        await found.forget_language(owner)
    await query.answer()
    await _edit(query, texts.sentence("forget_started", lang))


async def _edit(query, text: str) -> None:
    try:
        await query.edit_message_text(escape(text), parse_mode=ParseMode.HTML, reply_markup=None)
    except BadRequest as exc:  # "message is not modified": a second tap
        log.debug("forget message not changed: %s", exc)


class ForgetWatcher:
    """Tells each person whose deletion finished (or failed for good) that it did."""

    def __init__(self, bot, found: Services) -> None:
        self.bot = bot
        self.services = found
        self.stop = asyncio.Event()

    async def run(self) -> None:
        while not self.stop.is_set():
            try:
                await self.step()
            except Exception as exc:  # noqa: BLE001 - Redis or Telegram away: next round
                log.warning("checking /forget jobs failed: %s: %s", type(exc).__name__, exc)
            try:
                await asyncio.wait_for(self.stop.wait(), POLL_S)
            except TimeoutError:
                pass

    async def step(self) -> int:
        """Answer every finished deletion; how many were answered."""
        pending = await self.services.redis.hgetall(PENDING_KEY)
        answered = 0
        for job_id, raw in pending.items():
            outcome = await asyncio.to_thread(self._outcome, job_id)
            if outcome is None:
                continue
            target = json.loads(raw)
            lang = Language(target["lang"])
            text = (
                texts.sentence("forget_done", lang, count=outcome)
                if isinstance(outcome, int)
                else texts.sentence("forget_failed", lang)
            )
            try:
                await self.bot.send_message(
                    chat_id=target["chat_id"],
                    text=escape(text),
                    parse_mode=ParseMode.HTML,
                    reply_parameters=ReplyParameters(
                        target["message_id"], allow_sending_without_reply=True
                    ),
                )
            except (Forbidden, BadRequest) as exc:  # blocked, chat gone: nobody to tell
                log.warning("could not report /forget job %s: %s", job_id, exc)
            await self.services.redis.hdel(PENDING_KEY, job_id)
            answered += 1
        return answered

    def _outcome(self, job_id: str) -> int | str | None:
        """The number of reviews deleted, "failed", "gone", or None while the job is not done
        (queued, running, or waiting for a retry)."""
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus

        queue = self.services.jobs_queue()
        try:
            job = Job.fetch(job_id, connection=queue.connection)
        except NoSuchJobError:
            return "gone"
        status = job.get_status()
        if status == JobStatus.FINISHED:
            return int(job.return_value() or 0)
        if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            return "failed"
        return None


HANDLERS = [
    CommandHandler("forget", forget_command),
    CallbackQueryHandler(forget_button, pattern=f"^{FORGET_PREFIX}:"),
]
