"""What every handler needs: the person's language, the shared services, answering a message."""

from telegram import InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bots.telegram.markup import escape
from bots.telegram.services import Services
from frontend.texts import interface_language
from reviewbot.messages import Language

SERVICES_KEY = "services"


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data[SERVICES_KEY]


def language(update: Update) -> Language:
    """The person's interface language, from their Telegram app's language."""
    user = update.effective_user
    return interface_language(user.language_code if user else None)


async def say(
    message: Message, text: str, keyboard: InlineKeyboardMarkup | None = None, escaped: bool = False
) -> Message:
    """Answer `message` (as a reply to it) with one of our sentences, escaped for HTML.
    The answer is sent even if the person deleted their message meanwhile."""
    return await message.get_bot().send_message(
        chat_id=message.chat_id,
        text=text if escaped else escape(text),
        parse_mode=ParseMode.HTML,
        reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True),
        reply_markup=keyboard,
    )
