"""The Discord bot runs without torch, transformers or the worker: a bot image needs none of
them. (It keeps its settings in SQL, so SQLAlchemy it does need.)"""

from tests.imports import HEAVY, loaded_after_importing

BOT = [f"bots.discord.{m}" for m in ("bot", "run", "cli", "mood_chart")]


def test_the_discord_bot_imports_without_torch_transformers_or_the_worker():
    assert loaded_after_importing(BOT, HEAVY) == []
