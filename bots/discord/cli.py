"""`reviewbot discord`: run the Discord bot."""

import typer


def discord_command() -> None:
    """Run the Discord bot: watch channels, classify reviews, answer slash commands."""
    from bots.discord.run import main

    raise typer.Exit(main())


def register(app: typer.Typer) -> None:
    app.command("discord")(discord_command)
