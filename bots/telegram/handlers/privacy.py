"""/optout and /optin: stop and resume processing and storing a person's messages. An
opted-out person's reviews get a short refusal (handlers/reviews.py) and are never queued."""

from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from bots.telegram.handlers.common import language, say, services
from frontend import texts
from reviewbot.messages import Source


async def optout_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    await services(context).in_store("set_opted_out", Source.TELEGRAM, str(user.id), True)
    await say(update.effective_message, texts.sentence("optout_done", language(update)))


async def optin_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    await services(context).in_store("set_opted_out", Source.TELEGRAM, str(user.id), False)
    await say(update.effective_message, texts.sentence("optin_done", language(update)))


HANDLERS = [
    CommandHandler("optout", optout_command),
    CommandHandler("optin", optin_command),
]
