"""Webhook mode: Telegram POSTs each update to the bot's public URL.

The server answers 200 only after the update was handled (its review on the stream, its direct
answer sent): a non-2xx answer makes Telegram send the update again later, so a bot that dies
mid-way or cannot reach Redis loses nothing. PTB's own webhook server answers 200 as soon as
the update is queued, before the handlers ran; hence this small aiohttp server.

With a secret token set, every request must carry it in X-Telegram-Bot-Api-Secret-Token (as
Telegram does once `setWebhook` was given it); others get 403 and are not looked at.
"""

import hmac
import json
import logging

from aiohttp import web
from telegram import Update

from bots.telegram.intake import ALLOWED_UPDATES, UpdateIntake
from bots.telegram.settings import TelegramSettings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Telegram's own cap on a webhook's concurrent connections is 100 (default 40).
MAX_CONNECTIONS = 40


class WebhookServer:
    def __init__(self, intake: UpdateIntake, settings: TelegramSettings) -> None:
        self.intake = intake
        self.settings = settings
        self.secret = settings.webhook_secret.get_secret_value()
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post(self.settings.webhook_path(), self.receive)
        return app

    async def receive(self, request: web.Request) -> web.Response:
        if self.secret and not hmac.compare_digest(
            request.headers.get(SECRET_HEADER, ""), self.secret
        ):
            log.warning("webhook request without the right secret token from %s", request.remote)
            return web.Response(status=403)
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                raise ValueError("no integer update_id")
            update = Update.de_json(data, self.intake.application.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("webhook request is not an update: %s", exc)
            return web.Response(status=400)
        try:
            handled = await self.intake.handle(update)
        except Exception as exc:  # noqa: BLE001 - Redis away: Telegram sends it again later
            log.warning("update %d not handled, Telegram will resend it: %s", update.update_id, exc)
            handled = False
        return web.Response(status=200 if handled else 503)

    async def start(self) -> None:
        """Listen, then tell Telegram where to post (with the secret token, if any)."""
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.webhook_listen, self.settings.webhook_port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.info(
            "webhook listening on %s:%d%s",
            self.settings.webhook_listen,
            self.port,
            self.settings.webhook_path(),
        )
        await self.intake.application.bot.set_webhook(
            url=self.settings.webhook_url,
            secret_token=self.secret or None,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=MAX_CONNECTIONS,
        )

    async def stop(self) -> None:
        # The webhook stays set at Telegram: updates wait there (up to 24 h) for the next run.
        if self._runner is not None:
            await self._runner.cleanup()
