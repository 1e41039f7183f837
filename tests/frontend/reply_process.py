"""A front-end process for the crash tests: consumes a reply stream, records each delivered
review id in a file, and kills itself (SIGKILL) in the middle of handling the review whose text
is "crash" the first time it sees it.

    python -m tests.frontend.reply_process REDIS_URL STREAM DELIVERED_FILE FLAG_FILE
"""

import asyncio
import os
import signal
import sys
from pathlib import Path

from frontend.replies import ReplyConsumer
from frontend.settings import FrontendSettings
from reviewbot.connection import connect_async


async def main(url: str, stream: str, delivered: Path, flag: Path) -> None:
    async def handler(verdict) -> None:
        if verdict.review.text == "crash" and not flag.exists():
            flag.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        with delivered.open("a") as out:
            out.write(verdict.review.id + "\n")

    # One reply at a time: the kill then lands in the middle of exactly one handler (with more
    # at once, every reply in flight at the kill is in the documented at-least-once window).
    settings = FrontendSettings(reply_block_ms=100, reply_claim_idle_ms=500, reply_concurrency=1)
    consumer = ReplyConsumer(
        connect_async(url), stream, "frontend", handler, consumer="bot-1", settings=settings
    )
    await consumer.run()


if __name__ == "__main__":
    url, stream, delivered, flag = sys.argv[1:]
    asyncio.run(main(url, stream, Path(delivered), Path(flag)))
