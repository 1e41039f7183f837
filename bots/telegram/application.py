"""The python-telegram-bot Application: the Bot API server, outgoing rate limits, handlers."""

from telegram import BotCommand
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bots.telegram import handlers
from bots.telegram.services import Services
from bots.telegram.settings import TelegramSettings
from frontend import texts
from reviewbot.messages import Language


def build_application(settings: TelegramSettings, found: Services) -> Application:
    rate_limiter = AIORateLimiter(
        overall_max_rate=settings.max_messages_per_s,
        overall_time_period=1,
        group_max_rate=settings.group_messages_per_minute,
        group_time_period=60,
        max_retries=settings.flood_retries,
    )
    application = (
        ApplicationBuilder()
        .token(settings.token.get_secret_value())
        .base_url(settings.api_base_url)
        .rate_limiter(rate_limiter)
        # No Updater: the intake (intake.py) fetches and confirms updates itself.
        .updater(None)
        .build()
    )
    handlers.register(application, found)
    return application


async def set_command_menu(application: Application) -> None:
    """The command list Telegram shows, in English and (for Spanish apps) in Spanish."""
    for lang, code in ((Language.EN, None), (Language.ES, "es")):
        commands = [BotCommand(name, texts.sentence(f"cmd_{name}", lang)) for name in handlers.MENU]
        await application.bot.set_my_commands(commands, language_code=code)
