"""The bot's handlers, one module per feature; `register` adds them all to an Application.

| module | handles |
|---|---|
| info | /start, /help, /privacy, unknown commands in private chats |
| reviews | /review, /review as a reply, plain text and non-text in private chats |
| feedback | the 👍 / 👎 buttons under an answer |
| privacy | /optout, /optin |
| forget | /forget, its confirmation buttons, and telling the person when it is done |
| stats | /stats for admin ids |
"""

from telegram.ext import Application, MessageHandler, filters

from bots.telegram.handlers import feedback, forget, info, privacy, reviews, stats
from bots.telegram.handlers.common import SERVICES_KEY
from bots.telegram.services import Services

#: The command menu Telegram shows (descriptions from frontend/texts.py).
MENU = info.MENU


def register(application: Application, found: Services) -> None:
    application.bot_data[SERVICES_KEY] = found
    for module in (info, reviews, feedback, privacy, forget, stats):
        application.add_handlers(module.HANDLERS)
    # Last: a command none of the above knows, in a private chat.
    application.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.COMMAND, info.unknown_command)
    )
