"""The Discord bot: moderation of movie talk, per server, exactly once (`reviewbot discord`).

discord.py 2.x `commands.Bot` with one cog per feature (watching, moderation, review, mood,
feedback, privacy); the rules in `decision` are pure functions; verdicts come back on the bot's
reply stream and are turned into reactions by `sender`. docs/bots.md has the module table.
"""
