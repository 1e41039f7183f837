"""Keeping the bot token out of every log line.

The token is part of every Bot API URL, and httpx logs request URLs at INFO; an exception's
text or traceback can carry the URL too. Two guards: httpx's request lines are silenced, and a
log record factory installed for the bot's lifetime replaces the token in every record this
process creates (message, arguments and exception text alike), whoever logs it.
"""

import logging
from typing import Self

REDACTED = "<telegram-token>"
#: Loggers whose INFO lines are one per HTTP request (with the URL): noise at best.
CHATTY_LOGGERS = ("httpx", "httpcore")


class TokenRedaction:
    """`with TokenRedaction(token):` every log record made inside has the token replaced."""

    def __init__(self, token: str) -> None:
        self.token = token
        self._previous_factory = None
        self._previous_levels: dict[str, int] = {}

    def redact(self, text: str) -> str:
        return text.replace(self.token, REDACTED) if self.token else text

    def _factory(self, *args, **kwargs) -> logging.LogRecord:
        record = self._previous_factory(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not hide the line
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return record

    def __enter__(self) -> Self:
        self._previous_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(self._factory)
        for name in CHATTY_LOGGERS:
            logger = logging.getLogger(name)
            self._previous_levels[name] = logger.level
            if logger.getEffectiveLevel() < logging.WARNING:
                logger.setLevel(logging.WARNING)
        return self

    def __exit__(self, *exc_info) -> None:
        logging.setLogRecordFactory(self._previous_factory)
        for name, level in self._previous_levels.items():
            logging.getLogger(name).setLevel(level)
