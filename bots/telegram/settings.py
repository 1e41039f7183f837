"""Settings of the Telegram bot (prefix REVIEWBOT_TELEGRAM_)."""

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode

from reviewbot.settings import room_config


class TelegramSettings(BaseSettings):
    model_config = room_config("REVIEWBOT_TELEGRAM_")

    #: The bot's token from @BotFather. Secret: never logged, never shown in errors.
    token: SecretStr = SecretStr("")
    #: Bot API server; `{token}` is replaced by the token. Point it at a self-hosted Bot API
    #: server (or a test's fake one). No trailing slash.
    api_base_url: str = "https://api.telegram.org/bot{token}"
    #: Telegram user ids allowed to use /stats, as "1,2" or "[1, 2]".
    admin_ids: Annotated[list[int], NoDecode] = []
    #: Reviews one person may send per `rate_limit_window_s` (all replicas count together,
    #: in Redis); more are refused with "try again in N s". 0 turns the limit off.
    rate_limit_reviews: int = Field(20, ge=0)
    rate_limit_window_s: float = Field(60.0, gt=0)
    #: "polling": the bot asks Telegram for updates (getUpdates), no public address needed.
    #: "webhook": Telegram POSTs updates to `webhook_url`; the bot listens on
    #: `webhook_listen`:`webhook_port` (behind a TLS-terminating proxy).
    mode: Literal["polling", "webhook"] = "polling"
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=0, le=65535)
    #: Public HTTPS URL Telegram posts to; its path is the path the bot serves.
    webhook_url: str = ""
    #: Telegram sends it in X-Telegram-Bot-Api-Secret-Token with every update; requests without
    #: it are refused. Empty: no check (only safe on a private network). 1-256 of A-Z a-z 0-9 _ -.
    webhook_secret: SecretStr = SecretStr("")
    #: In private chats, a plain text message is a review too (in groups only /review is, as
    #: Telegram's privacy mode delivers only commands there).
    private_plain_text: bool = True
    #: The bot's own reply stream (Review.reply_to) and its consumer group.
    reply_stream: str = "reviewbot:replies:telegram"
    reply_group: str = "telegram"
    #: Seconds one getUpdates long poll waits for new updates.
    poll_timeout_s: int = Field(25, ge=0)
    #: Outgoing requests per second the bot allows itself in all (Telegram: about 30 without
    #: paid broadcasts) and per group chat per minute (Telegram: 20). Enforced by PTB's
    #: AIORateLimiter.
    max_messages_per_s: float = Field(30.0, gt=0)
    group_messages_per_minute: float = Field(20.0, gt=0)
    #: Times a request Telegram answered 429 is retried, after its retry_after.
    flood_retries: int = Field(3, ge=0)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("["):
                import json

                return json.loads(value)
            return [part for part in value.replace(" ", ",").split(",") if part]
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_charset(cls, value: SecretStr) -> SecretStr:
        secret = value.get_secret_value()
        allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        if len(secret) > 256 or not set(secret) <= allowed:
            raise ValueError("webhook_secret: 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    def webhook_path(self) -> str:
        """The path the webhook server answers on: the public URL's path, else /telegram."""
        path = urlsplit(self.webhook_url).path.rstrip("/")
        return path or "/telegram"
