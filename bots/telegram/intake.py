"""Updates in, each handled once, confirmed to Telegram only once handled.

PTB's Updater confirms a fetched batch (the next getUpdates offset) before the handlers have
run, so a bot killed in between loses those reviews. This intake drives getUpdates itself and
hands each update to `Application.process_update`; the next offset, which is what confirms a
batch to Telegram, is sent only after every update of the batch was handled: its review is on
the review stream, or its direct answer (help, a refusal...) was sent. The webhook server
(webhook.py) uses the same `handle` and answers 200 only after it.

A redelivered update (the bot died before confirming) is recognised by a marker set after it
was handled, and skipped; a crash between handling and the marker handles it again, which for
a review is harmless (same review id: the worker answers it once).

Handlers that fail for a passing reason (Redis, the database or Telegram unreachable) leave
their update unconfirmed: it is handled again after a pause, and nothing is lost. Any other
failure is a bug: it is logged with its traceback, the person is told ReviewBot has trouble,
and the update counts as handled (retrying would fail the same way).
"""

import asyncio
import logging
import warnings

import redis
from telegram import Update
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application, ContextTypes
from telegram.warnings import PTBUserWarning

from bots.telegram.handlers.common import language, say
from bots.telegram.services import PREFIX
from frontend import texts

log = logging.getLogger(__name__)
# PTB suggests Bot.get_updates over the raw call; the raw call is deliberate (_get_updates).
warnings.filterwarnings("ignore", "Please use 'Bot.getUpdates'", PTBUserWarning)

#: Updates the bot asks for: messages (reviews, commands) and button taps. Edits are not
#: reviews: an edited review is not classified again.
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
#: Telegram keeps an unconfirmed update for 24 h; a handled marker outlives that.
HANDLED_TTL_S = 2 * 24 * 3600
#: Pauses between retries of an update whose handler failed for a passing reason.
RETRY_FIRST_S, RETRY_MAX_S = 0.5, 30.0


def is_transient(error: BaseException) -> bool:
    """A failure that handling the update again later can fix."""
    from storage.errors import StoreUnavailable

    if isinstance(error, BadRequest | Forbidden | InvalidToken):
        return False
    return isinstance(
        error,
        redis.ConnectionError | redis.TimeoutError | NetworkError | RetryAfter | StoreUnavailable,
    )


class UpdateIntake:
    def __init__(self, application: Application, redis_client) -> None:
        self.application = application
        self.redis = redis_client
        self.stop = asyncio.Event()
        self._failures: dict[int, BaseException] = {}
        application.add_error_handler(self._on_error)

    def _marker(self, update_id: int) -> str:
        return f"{PREFIX}handled:{self.application.bot.id}:{update_id}"

    async def handle(self, update: Update) -> bool:
        """Run the handlers on `update` once; False if it must be handled again later.
        Raises when Redis is unreachable (which also means: again later)."""
        marker = self._marker(update.update_id)
        if await self.redis.exists(marker):
            log.info("update %d was handled before a restart: skipped", update.update_id)
            return True
        self._failures.pop(update.update_id, None)
        await self.application.process_update(update)
        error = self._failures.pop(update.update_id, None)
        if error is not None:
            log.warning(
                "update %d not handled, will retry: %s: %s",
                update.update_id,
                type(error).__name__,
                error,
            )
            return False
        await self.redis.set(marker, "1", ex=HANDLED_TTL_S)
        return True

    async def handle_all(self, updates: list[Update]) -> bool:
        """Handle a batch, retrying what failed for a passing reason until it is handled or
        `stop` is set; True when all were handled."""
        pending, pause = list(updates), RETRY_FIRST_S
        while pending:
            outcomes = await asyncio.gather(
                *(self.handle(update) for update in pending), return_exceptions=True
            )
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    log.warning(
                        "update not handled, will retry: %s: %s", type(outcome).__name__, outcome
                    )
            pending = [u for u, ok in zip(pending, outcomes, strict=True) if ok is not True]
            if not pending:
                return True
            if await self._sleep(pause):
                return False
            pause = min(pause * 2, RETRY_MAX_S)
        return True

    async def poll(self, timeout_s: int) -> None:
        """getUpdates until `stop`: fetch, handle, then confirm with the next call's offset."""
        bot = self.application.bot
        offset: int | None = None
        pause = RETRY_FIRST_S
        while not self.stop.is_set():
            try:
                updates = await self._fetch(offset, timeout_s)
            except InvalidToken:
                raise
            except (NetworkError, Conflict, RetryAfter) as exc:
                # Telegram unreachable, or another process polls with the same token.
                log.warning("getUpdates failed, retrying in %.1f s: %s", pause, exc)
                if await self._sleep(pause):
                    break
                pause = min(pause * 2, RETRY_MAX_S)
                continue
            pause = RETRY_FIRST_S
            if updates is None:  # stopped while waiting
                break
            if not updates:
                continue
            if not await self.handle_all(list(updates)):
                return  # stopping with some unhandled: they stay unconfirmed
            offset = updates[-1].update_id + 1
        if offset is not None:
            # Confirm the last handled batch. limit=1, timeout=0: at most one update comes
            # back, not confirmed, so Telegram sends it again to the next run.
            try:
                await bot.get_updates(offset=offset, limit=1, timeout=0)
            except Exception as exc:  # noqa: BLE001 - the next run gets the batch again
                log.warning("could not confirm the last updates: %s", exc)

    async def _fetch(self, offset: int | None, timeout_s: int):
        """One getUpdates, abandoned (None) when `stop` is set meanwhile."""
        fetch = asyncio.ensure_future(self._get_updates(offset, timeout_s))
        stopped = asyncio.ensure_future(self.stop.wait())
        await asyncio.wait({fetch, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not fetch.done():
            # Abandoned: Telegram counts nothing as confirmed by a request whose answer the
            # bot never read, because the offset only confirms what came before.
            fetch.cancel()
            return None
        return fetch.result()

    async def _get_updates(self, offset: int | None, timeout_s: int) -> list[Update]:
        """getUpdates, each update parsed on its own: one PTB cannot read (a field a newer Bot
        API sends in a shape it does not expect) is logged and skipped, instead of failing its
        whole batch again and again (Bot.get_updates parses the batch as one)."""
        bot = self.application.bot
        raw = await bot.do_api_request(
            "getUpdates",
            api_kwargs={
                "offset": offset,
                "timeout": timeout_s,
                "allowed_updates": ALLOWED_UPDATES,
            },
            read_timeout=bot.request.read_timeout + timeout_s if bot.request.read_timeout else None,
        )
        updates = []
        for data in raw or []:
            try:
                updates.append(Update.de_json(data, bot))
            except Exception as exc:  # noqa: BLE001 - see the docstring
                log.error("skipping update %s that cannot be read: %s", data.get("update_id"), exc)
                updates.append(Update(update_id=data["update_id"]))
        return updates

    async def _sleep(self, seconds: float) -> bool:
        """Sleep, or return True at once when `stop` is set."""
        try:
            await asyncio.wait_for(self.stop.wait(), seconds)
        except TimeoutError:
            return False
        return True

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if isinstance(update, Update) and is_transient(error):
            self._failures[update.update_id] = error
            return
        if isinstance(error, Forbidden):  # the person blocked the bot meanwhile
            log.info("update %s: %s", getattr(update, "update_id", "?"), error)
            return
        log.error("handling an update failed", exc_info=error)
        if isinstance(update, Update) and update.effective_message is not None:
            try:
                await say(update.effective_message, texts.sentence("unavailable", language(update)))
            except Exception as exc:  # noqa: BLE001 - nothing more to try
                log.warning("could not tell the person about the failure: %s", exc)
