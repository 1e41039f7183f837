"""The front-end API is importable without the model or the worker server: a bot or API image
without torch can submit reviews and receive verdicts."""

from tests.imports import HEAVY, loaded_after_importing

FRONTEND_API = [
    "frontend.client",
    "frontend.replies",
    "frontend.texts",
    "frontend.settings",
    "reviewbot.connection",
    "reviewbot.protocol",
    "reviewbot.validation",
    "reviewbot.messages",
    "jobs.queueing",
    # The Telegram bot: every module, so a bot image needs no torch (its store opens on start).
    "bots.telegram.cli",
    "bots.telegram.runner",
    "bots.telegram.application",
    "bots.telegram.intake",
    "bots.telegram.webhook",
    "bots.telegram.sender",
    "bots.telegram.markup",
    "bots.telegram.logs",
    "bots.telegram.services",
    "bots.telegram.settings",
    "bots.telegram.handlers",
    "bots.discord.decision",
    "bots.discord.settings",
    "bots.discord.cli",
]


def test_front_end_api_imports_without_torch_transformers_sqlalchemy_or_the_worker():
    assert loaded_after_importing(FRONTEND_API, [*HEAVY, "sqlalchemy"]) == []
