"""One bot process: the Application, the intake (polling or webhook), the reply consumer, the
reply recorder and the /forget watcher, started together and stopped together.

    bot = TelegramBot(TelegramSettings())
    await bot.run()          # until bot.stop is set (SIGTERM / Ctrl-C in `reviewbot telegram`)
"""

import asyncio
import logging
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError

from bots.telegram.application import build_application, set_command_menu
from bots.telegram.handlers.forget import ForgetWatcher
from bots.telegram.intake import UpdateIntake
from bots.telegram.logs import TokenRedaction
from bots.telegram.sender import ReplySender
from bots.telegram.services import Services
from bots.telegram.settings import TelegramSettings
from bots.telegram.webhook import WebhookServer
from frontend.replies import ReplyConsumer
from frontend.settings import FrontendSettings
from reviewbot.settings import StreamSettings

log = logging.getLogger(__name__)

#: Pauses before a failed background loop (reply consumer, /forget watcher) starts again, and
#: between attempts to reach the Bot API at start.
RESTART_FIRST_S, RESTART_MAX_S = 0.5, 30.0


class BotConfigError(Exception):
    """The bot cannot start as configured; the message is one sentence for the operator."""


class TelegramBot:
    def __init__(
        self,
        settings: TelegramSettings,
        redis_url: str | None = None,
        store=None,
        stream_settings: StreamSettings | None = None,
        frontend_settings: FrontendSettings | None = None,
        consumer_name: str | None = None,
    ) -> None:
        if not settings.token.get_secret_value():
            raise BotConfigError(
                "REVIEWBOT_TELEGRAM_TOKEN is not set: create a bot with @BotFather and put its "
                "token in REVIEWBOT_TELEGRAM_TOKEN."
            )
        if settings.mode == "webhook" and not settings.webhook_url:
            raise BotConfigError(
                "REVIEWBOT_TELEGRAM_MODE is webhook but REVIEWBOT_TELEGRAM_WEBHOOK_URL is not set."
            )
        self.settings = settings
        self._redis_url = redis_url
        self._store = store
        self._stream_settings = stream_settings
        self._frontend_settings = frontend_settings
        self._consumer_name = consumer_name
        self.stop = asyncio.Event()
        #: Set once updates are being received (polling started or webhook registered).
        self.ready = asyncio.Event()
        self.webhook: WebhookServer | None = None

    async def run(self) -> None:
        with TokenRedaction(self.settings.token.get_secret_value()):
            await self._run()

    async def _run(self) -> None:
        found = await asyncio.to_thread(
            Services.open, self.settings, self._redis_url, self._store, self._stream_settings
        )
        application = build_application(self.settings, found)
        try:
            if not await self._initialize(application):
                return  # stopped before Telegram could be reached
            await application.start()
            try:
                await self._serve(application, found)
            finally:
                await application.stop()
                await application.shutdown()
        finally:
            await found.aclose(close_store=self._store is None)

    async def _initialize(self, application) -> bool:
        """getMe (which checks the token) until the Bot API answers: a bot started before the
        network or Telegram is up waits for it, saying so, instead of dying. False: stopped
        while waiting."""

        async def get_me() -> None:
            try:
                await application.initialize()
            except InvalidToken as exc:
                raise BotConfigError(
                    "Telegram refused the bot token (REVIEWBOT_TELEGRAM_TOKEN): check it with "
                    "@BotFather."
                ) from exc

        host = urlsplit(self.settings.api_base_url).netloc
        # NetworkError: unreachable, timed out, or a 5xx answer.
        return await self._supervised(
            f"cannot reach the Telegram Bot API at {host}", get_me, retried=NetworkError
        )

    async def _serve(self, application, found: Services) -> None:
        bot = application.bot
        log.info(
            "Telegram bot @%s (id %d) starting in %s mode", bot.username, bot.id, self.settings.mode
        )
        try:
            await set_command_menu(application)
        except Exception as exc:  # noqa: BLE001 - the menu is a convenience
            log.warning("could not set the command menu: %s", exc)
        intake = UpdateIntake(application, found.redis)
        sender = ReplySender(bot, found)
        consumer = ReplyConsumer(
            found.redis,
            self.settings.reply_stream,
            self.settings.reply_group,
            sender,
            consumer=self._consumer_name,
            settings=self._frontend_settings,
        )
        watcher = ForgetWatcher(bot, found)
        background = [
            asyncio.create_task(self._supervised("replies failed", consumer.run), name="replies"),
            asyncio.create_task(sender.run(), name="mark-replied"),
            asyncio.create_task(
                self._supervised("forget watcher failed", watcher.run), name="forget"
            ),
        ]
        try:
            if self.settings.mode == "webhook":
                self.webhook = WebhookServer(intake, self.settings)
                await self.webhook.start()
                self.ready.set()
                await self._until_stopped(background)
            else:
                await bot.delete_webhook()  # getUpdates is refused while a webhook is set
                self.ready.set()
                intake_task = asyncio.create_task(
                    intake.poll(self.settings.poll_timeout_s), name="intake"
                )
                stopper = asyncio.create_task(self.stop.wait())
                await asyncio.wait(
                    {intake_task, stopper, *background}, return_when=asyncio.FIRST_COMPLETED
                )
                intake.stop.set()
                stopper.cancel()
                await intake_task  # re-raises what ended it early (InvalidToken...)
        finally:
            intake.stop.set()
            if self.webhook is not None:
                await self.webhook.stop()
            consumer.stop.set()
            watcher.stop.set()
            sender.stop.set()
            done, _ = await asyncio.wait(background, timeout=10)
            for task in background:
                if task not in done:
                    task.cancel()
            for task in done:
                if not task.cancelled() and task.exception() is not None:
                    log.error(
                        "%s stopped with an error", task.get_name(), exc_info=task.exception()
                    )
            log.info("Telegram bot stopped")

    async def _supervised(self, failed: str, run, retried: type[Exception] = Exception) -> bool:
        """Run `run` until it returns (True) or the bot stops (False), starting it again after
        a failure of type `retried` (Redis restarting, a stalled connection, Telegram not yet
        reachable), so a passing outage never leaves the bot without replies. `failed` begins
        the line logged for each failure."""
        pause = RESTART_FIRST_S
        while not self.stop.is_set():
            try:
                await run()
                return True
            except retried as exc:  # logged; started again below
                log.warning(
                    "%s (%s: %s); trying again in %.1f s", failed, type(exc).__name__, exc, pause
                )
            try:
                await asyncio.wait_for(self.stop.wait(), pause)
            except TimeoutError:
                pass
            pause = min(pause * 2, RESTART_MAX_S)
        return False

    async def _until_stopped(self, background: list[asyncio.Task]) -> None:
        stopper = asyncio.create_task(self.stop.wait())
        await asyncio.wait({stopper, *background}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
