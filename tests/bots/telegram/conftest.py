"""Fixtures of the Telegram bot's tests: the fake Bot API server, the history store, and the
real bot (python-telegram-bot, this package) running in the test's event loop."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest
import redis

from bots.telegram.runner import TelegramBot
from bots.telegram.settings import TelegramSettings
from frontend.client import ReviewClient
from frontend.settings import FrontendSettings
from reviewbot.messages import Review, Source
from tests.bots.telegram.fake_bot_api import FakeBotApi, Person

#: A token shaped like a real one; tests grep the logs for it.
TOKEN = "4839574812:AAHtestTOKENsecret_value-9f8e7d6c5b4a"
ANA = Person(1001, "Ana", "es-ES")
BOB = Person(1002, "Bob", "en")
ADMIN = Person(4242, "Root", "en-GB")


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(TOKEN)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite history the bot, the worker and the RQ forget job share (the job finds it
    through REVIEWBOT_DATABASE_URL)."""
    url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    monkeypatch.setenv("REVIEWBOT_DATABASE_URL", url)
    return url


@pytest.fixture
def store(database_url: str):
    from storage import open_store

    store = open_store(database_url)
    yield store
    store.close()


def bot_settings(fake: FakeBotApi, **changes) -> TelegramSettings:
    values = {
        "token": TOKEN,
        "api_base_url": fake.base_url,
        "admin_ids": [ADMIN.id],
        "poll_timeout_s": 2,
        "flood_retries": 5,
    }
    return TelegramSettings(**(values | changes))


#: Short reply-stream timings so retries happen within a test.
FAST_REPLIES = FrontendSettings(reply_block_ms=100, reply_claim_idle_ms=1000)


@pytest.fixture
def running_bot(fake, redis_url, store, worker_settings) -> Callable:
    """`async with running_bot(**settings) as bot:` the bot serves the fake server until the
    block ends; it must stop cleanly."""

    @asynccontextmanager
    async def run(stream_settings=None, **changes) -> AsyncIterator[TelegramBot]:
        bot = TelegramBot(
            bot_settings(fake, **changes),
            redis_url=redis_url,
            store=store,
            stream_settings=stream_settings or worker_settings,
            frontend_settings=FAST_REPLIES,
            consumer_name="test-bot",
        )
        task = asyncio.create_task(bot.run())
        ready = asyncio.create_task(bot.ready.wait())
        await asyncio.wait({task, ready}, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # raises what kept it from starting
        assert bot.ready.is_set(), "the bot did not start"
        try:
            yield bot
        finally:
            bot.stop.set()
            await asyncio.wait_for(task, 30)

    return run


@pytest.fixture
def serving_worker(running_worker, store, redis_url, worker_settings) -> Callable:
    """`with serving_worker():` a real worker on the tiny checkpoint, storing into `store`, that
    has answered one review already. In a thread of the test process, its first forward pass
    holds the GIL for seconds on a busy machine; done before the bot starts, it stalls nobody.
    (The warm-up review is stored, from the console: count it in history figures.)"""

    @contextmanager
    def run():
        with running_worker(store=store) as worker:
            client = ReviewClient(
                redis.Redis.from_url(redis_url, decode_responses=True), worker_settings
            )
            try:
                client.classify(Review(text="warm up", source=Source.CONSOLE), timeout=120)
            finally:
                client.close()
            yield worker

    return run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # pytest resets warning filters per test; the bot's own filter (bots/telegram/intake.py)
    # for its deliberate raw getUpdates call is restated here.
    for item in items:
        if "bots/telegram" in str(item.fspath):
            item.add_marker(pytest.mark.filterwarnings("ignore:Please use 'Bot.getUpdates'"))
            # PTB's own RetryAfter warns about its future timedelta type when it is created.
            item.add_marker(pytest.mark.filterwarnings("ignore:Deprecated since version v22.2"))


async def replied(store, review_ids: list[str], timeout: float = 30.0) -> None:
    """Until the bot has recorded (mark_replied) the answers to these reviews."""
    from sqlalchemy import select

    from storage.schema import ReviewRow

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        with store.session() as session:
            done = session.scalars(
                select(ReviewRow.id).where(
                    ReviewRow.id.in_(review_ids), ReviewRow.replied_at.is_not(None)
                )
            ).all()
        if len(done) == len(review_ids):
            return
        assert asyncio.get_running_loop().time() < deadline, f"{len(done)} of {review_ids} replied"
        await asyncio.sleep(0.05)
