"""`reviewbot telegram`: run the Telegram bot until SIGTERM or Ctrl-C."""

import typer


def telegram_command() -> None:
    """Run the Telegram bot (REVIEWBOT_TELEGRAM_TOKEN; polling or webhook mode)."""
    import asyncio
    import signal

    from pydantic import ValidationError

    from bots.telegram.runner import BotConfigError, TelegramBot
    from bots.telegram.settings import TelegramSettings

    try:
        bot = TelegramBot(TelegramSettings())
    except (BotConfigError, ValidationError) as exc:
        typer.secho(f"telegram: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, bot.stop.set)
        await bot.run()

    try:
        asyncio.run(main())
    except BotConfigError as exc:
        typer.secho(f"telegram: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    """Add the `telegram` command to the root `reviewbot` app."""
    app.command("telegram")(telegram_command)
