"""The reply-stream consumer every front-end uses to hand verdicts to people.

A front-end names its own reply stream in `Review.reply_to`; the worker appends the verdict
there. `ReplyConsumer` reads that stream in the front-end's consumer group and calls the
front-end's handler once per verdict. The order of effects for one entry:

1. read it: first this consumer's own pending entries (a restart with the same consumer name
   picks up what it was doing), then entries other consumers left pending longer than
   `reply_claim_idle_ms` (XAUTOCLAIM: they crashed), then new ones (XREADGROUP ... BLOCK);
   one this consumer is still handling (a slow send, a restarted `run`) is skipped;
2. skip it (ack only) if its review's "sent" marker exists: it was answered already and only the
   ack was lost;
3. `await handler(verdict)`: the front-end sends the answer to the person;
4. on success, in one MULTI: set the "sent" marker, XACK, XDEL (a reply stream has one group,
   its front-end's, so a delivered entry is deleted and the person's text does not linger in
   Redis);
5. on `ReplyRefused` (the platform refused for good: bot blocked, chat gone), or after
   `reply_max_deliveries` failed attempts, or for an entry that is not a verdict: add it to the
   dead-letter stream with the reason, then ack and delete it;
6. on any other exception: log one line and leave the entry pending; it is retried once it has
   been idle `reply_claim_idle_ms`.

A crash between 3 and 4 sends that one answer twice when the entry is retried (at-least-once);
every other crash point delivers exactly once.
"""

import asyncio
import json
import logging
import socket
from collections.abc import Awaitable, Callable

import redis
import redis.asyncio as aioredis

from frontend.settings import FrontendSettings
from reviewbot.messages import Verdict
from reviewbot.protocol import REPLY_ID_FIELD, parse_reply

log = logging.getLogger(__name__)

SENT_PREFIX = "reviewbot:sent:"
#: Entries read per XREADGROUP / XAUTOCLAIM call.
READ_COUNT = 128
#: Approximate length cap of the reply dead-letter stream, so a platform outage that refuses
#: everything cannot fill Redis's memory.
DEAD_LETTER_MAXLEN = 100_000

Handler = Callable[[Verdict], Awaitable[None]]


class ReplyRefused(Exception):
    """The platform refused this reply for good (blocked, chat or message gone): retrying will not
    help. The entry goes to the dead-letter stream with this message as its reason."""


def sent_key(group: str, review_id: str) -> str:
    return f"{SENT_PREFIX}{group}:{review_id}"


class ReplyConsumer:
    def __init__(
        self,
        redis_client: aioredis.Redis,
        stream: str,
        group: str,
        handler: Handler,
        consumer: str | None = None,
        settings: FrontendSettings | None = None,
    ) -> None:
        self.redis = redis_client
        self.stream = stream
        self.group = group
        self.handler = handler
        #: Stable across restarts of the same host/container, so a restarted front-end resumes
        #: its own pending entries at once instead of waiting for the claim time.
        self.consumer = consumer or socket.gethostname()
        self.settings = settings or FrontendSettings()
        self.stop = asyncio.Event()
        self._claim_cursor = "0-0"
        self._own_pending_done = False
        self._limit = asyncio.Semaphore(self.settings.reply_concurrency)
        #: Entries a handler of this consumer is working on. A restarted `run` (its previous
        #: round ended by an error while sibling handlers kept going) re-reads its own pending
        #: entries, and XAUTOCLAIM hands back one whose send outlasts the claim time; both are
        #: skipped until their first handling has finished and acked.
        self._in_flight: set[str] = set()

    async def ensure_group(self) -> None:
        """Create the group (and the stream) if missing, from the stream's start, so replies the
        worker wrote before this front-end ever ran are delivered too."""
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def run(self) -> None:
        """Consume until `stop` is set."""
        await self.ensure_group()
        while not self.stop.is_set():
            await self.step()

    async def step(self) -> int:
        """One round: own pending entries (once), stale ones of others, then new ones. Returns
        how many entries were handled (acked or left for retry)."""
        entries: list[tuple[str, dict[str, str]]] = []
        if not self._own_pending_done:
            entries = await self._read("0")
            self._own_pending_done = not entries
        if not entries:
            entries = await self._reclaim()
        if not entries:
            entries = await self._read(">", block=self.settings.reply_block_ms)
        await asyncio.gather(*(self._handle(entry_id, fields) for entry_id, fields in entries))
        return len(entries)

    async def _read(self, start: str, block: int | None = None) -> list:
        reply = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=READ_COUNT, block=block
        )
        if not reply:
            return []
        _, messages = reply[0]
        # An own-pending read lists entries deleted meanwhile with empty fields: ack those.
        gone = [entry_id for entry_id, fields in messages if not fields]
        if gone:
            await self.redis.xack(self.stream, self.group, *gone)
        return [(entry_id, fields) for entry_id, fields in messages if fields]

    async def _reclaim(self) -> list:
        reply = await self.redis.xautoclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_time=self.settings.reply_claim_idle_ms,
            start_id=self._claim_cursor,
            count=READ_COUNT,
        )
        self._claim_cursor, messages = reply[0], reply[1]
        # Entries deleted meanwhile: Redis 7 lists their ids third, Redis 6.2 returns them with
        # no fields. Nothing is left to do for them but the ack.
        gone = [entry_id for entry_id, fields in messages if not fields]
        gone += reply[2] if len(reply) > 2 else []
        if gone:
            await self.redis.xack(self.stream, self.group, *gone)
        return [(entry_id, fields) for entry_id, fields in messages if fields]

    async def _deliveries(self, entry_id: str) -> int:
        pending = await self.redis.xpending_range(
            self.stream, self.group, min=entry_id, max=entry_id, count=1
        )
        return pending[0]["times_delivered"] if pending else 1

    async def _handle(self, entry_id: str, fields: dict[str, str]) -> None:
        if entry_id in self._in_flight:
            return
        self._in_flight.add(entry_id)
        try:
            async with self._limit:
                await self._deliver(entry_id, fields)
        finally:
            self._in_flight.discard(entry_id)

    async def _deliver(self, entry_id: str, fields: dict[str, str]) -> None:
        try:
            verdict = parse_reply(fields)
        except ValueError as exc:
            await self._dead_letter(entry_id, fields, f"not a verdict: {exc}")
            return
        marker = sent_key(self.group, verdict.review.id)
        if await self.redis.exists(marker):
            await self._finish(entry_id)
            return
        deliveries = await self._deliveries(entry_id)
        if deliveries > self.settings.reply_max_deliveries:
            await self._dead_letter(
                entry_id, fields, f"not delivered after {deliveries - 1} attempts"
            )
            return
        try:
            await self.handler(verdict)
        except ReplyRefused as exc:
            log.warning("reply to review %s refused for good: %s", verdict.review.id, exc)
            await self._dead_letter(entry_id, fields, f"refused: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - any platform failure: retried later
            log.warning(
                "reply to review %s failed (attempt %d of %d), will retry: %s: %s",
                verdict.review.id,
                deliveries,
                self.settings.reply_max_deliveries,
                type(exc).__name__,
                exc,
            )
            return
        await self._finish(entry_id, marker)

    async def _finish(self, entry_id: str, marker: str | None = None) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            if marker:
                pipe.set(marker, "1", ex=self.settings.reply_sent_ttl_s)
            pipe.xack(self.stream, self.group, entry_id)
            pipe.xdel(self.stream, entry_id)
            await pipe.execute()

    async def _dead_letter(self, entry_id: str, fields: dict[str, str], reason: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self.settings.reply_dead_letter_stream,
                {
                    "stream": self.stream,
                    "group": self.group,
                    "review_id": fields.get(REPLY_ID_FIELD, ""),
                    "entry": json.dumps(fields),
                    "error": reason,
                },
                maxlen=DEAD_LETTER_MAXLEN,
                approximate=True,
            )
            pipe.xack(self.stream, self.group, entry_id)
            pipe.xdel(self.stream, entry_id)
            await pipe.execute()
