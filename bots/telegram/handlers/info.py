"""/start, /help and /privacy: what the bot does, how to use it, what it stores and for how
long, in the person's language."""

from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from bots.telegram.handlers.common import language, say
from frontend import texts
from storage.settings import StorageSettings

#: The commands everyone can use, in the order /help and Telegram's menu list them.
MENU = ["review", "help", "privacy", "optout", "optin", "forget"]


def help_text(lang) -> str:
    """What the bot does, how to use it, its commands, what it stores and for how long."""
    retention = StorageSettings().retention_days
    commands = "\n".join(f"/{name} — {texts.sentence(f'cmd_{name}', lang)}" for name in MENU)
    return "\n\n".join(
        [
            texts.sentence("about", lang),
            texts.sentence("usage", lang),
            commands,
            texts.privacy_text(retention, lang),
        ]
    )


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(update.effective_message, help_text(language(update)))


async def privacy_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    retention = StorageSettings().retention_days
    await say(update.effective_message, texts.privacy_text(retention, language(update)))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not know, in a private chat: how to use it."""
    await say(update.effective_message, texts.sentence("usage", language(update)))


HANDLERS = [
    CommandHandler(["start", "help"], help_command),
    CommandHandler("privacy", privacy_command),
]
