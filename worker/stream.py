"""The worker's side of the review stream: join the group, read, reclaim, keep leases, finish.

Everything here is a Redis command or script; the batching policy is in batching.py and the
pipeline that classifies in service.py.
"""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import redis

from reviewbot.messages import Review, Verdict
from reviewbot.protocol import (
    DONE_PREFIX,
    ERRORS_KEY,
    RATE_KEY,
    REPLY_ID_FIELD,
    REPLY_VERDICT_FIELD,
    RESULT_PREFIX,
    parse_review,
)
from reviewbot.validation import cut_text
from worker.settings import WorkerSettings

log = logging.getLogger(__name__)

#: Acknowledge, delete and answer in one atomic step, and only for entries this call really
#: acknowledged (XACK returns 0 for one another consumer finished already): a review redelivered
#: to a second worker is answered once, whichever finishes first. A review can also sit in the
#: stream twice (redis-py re-sends a submit after a lost connection; a front-end submits the same
#: Review again): a result key that is a string marks it answered for result_ttl_s, and a second
#: entry of it is acked and deleted without a second answer. A result key of another type is not
#: an answer (something else wrote into the worker's key space): it is replaced, and reported.
#: The SET and the reply XADD run under pcall so a bad reply target (a key of another type) cannot
#: abort the batch mid-way; the review is then answered through its result key only, and the
#: failure reported. Returns {positions answered or dead-lettered (0-based), problems as flat
#: (position, "result"|"reply", error) triples}, so only answers are counted and every failure is
#: logged.
FINISH_SCRIPT = """
local group, ttl, maxlen = ARGV[1], ARGV[2], ARGV[3]
local result_prefix, done_prefix, dead_maxlen = ARGV[4], ARGV[5], ARGV[6]
local reply_id_field, reply_verdict_field = ARGV[7], ARGV[8]
local answered, problems = {}, {}
local function failed(reply)
  return type(reply) == 'table' and reply.err ~= nil
end
local function report(position, what, message)
  table.insert(problems, position)
  table.insert(problems, what)
  table.insert(problems, message)
end
for i = 9, #ARGV, 7 do
  local entry_id, review_id, reply_to = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local verdict, dead_error, deliveries, raw = ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6]
  local position = (i - 9) / 7
  if redis.call('XACK', KEYS[1], group, entry_id) == 1 then
    redis.call('XDEL', KEYS[1], entry_id)
    redis.call('HDEL', KEYS[3], entry_id)
    local took = false
    if dead_error ~= '' then
      redis.call('XADD', KEYS[2], 'MAXLEN', '~', dead_maxlen, '*', 'review_id', review_id,
                 'entry', raw, 'error', dead_error, 'deliveries', deliveries)
      took = true
    end
    local result_key = result_prefix .. review_id
    local kind = verdict ~= '' and redis.call('TYPE', result_key)['ok'] or 'string'
    if kind ~= 'string' then
      if kind ~= 'none' then
        report(position, 'result', 'the result key held a ' .. kind .. ', replaced by the answer')
      end
      local set = redis.pcall('SET', result_key, verdict, 'EX', ttl)
      if failed(set) then
        report(position, 'result', set.err)
      else
        took = true
        local done_key = done_prefix .. review_id
        if failed(redis.pcall('RPUSH', done_key, '1')) then
          redis.call('DEL', done_key)
          redis.call('RPUSH', done_key, '1')
        end
        redis.call('EXPIRE', done_key, ttl)
      end
      if reply_to ~= '' then
        local added = redis.pcall('XADD', reply_to, 'MAXLEN', '~', maxlen, '*',
                                  reply_id_field, review_id, reply_verdict_field, verdict)
        if failed(added) then
          report(position, 'reply', added.err)
        else
          took = true
        end
      end
    end
    if took then
      table.insert(answered, position)
    end
  end
end
return {answered, problems}
"""


@dataclass
class Entry:
    """One stream entry as delivered to this consumer."""

    entry_id: str
    fields: dict[str, str]
    #: How many times the group has delivered it, this delivery included.
    deliveries: int = 1
    #: The review it carries, or why it carries none (filled in by `parse`).
    review: Review | None = None
    problem: str = ""

    def parse(self) -> "Entry":
        try:
            self.review = parse_review(self.fields)
        except ValueError as exc:
            self.problem = f"malformed stream entry: {exc}"
        return self


@dataclass
class Finish:
    """How one entry ends: a verdict for its sender, and/or the dead-letter stream."""

    entry: Entry
    verdict: Verdict | None = None
    #: Set: the entry goes to the dead-letter stream with this error.
    dead_error: str = ""


@dataclass
class ReviewStream:
    redis: redis.Redis
    settings: WorkerSettings
    consumer: str
    _finish: object = field(init=False, repr=False)
    #: Where the next XAUTOCLAIM starts scanning the pending list.
    _claim_from: str = field(default="0-0", init=False, repr=False)

    def __post_init__(self) -> None:
        self._finish = self.redis.register_script(FINISH_SCRIPT)

    def join(self) -> None:
        """Join the consumer group, creating it (and the stream) if missing: from id 0, so
        nothing queued before the first worker started is skipped. The consumer is created
        explicitly: Redis 6 lists a blocked reader only once it has been served, and the demo
        checks XINFO CONSUMERS to know that a worker is serving."""
        try:
            self.redis.xgroup_create(
                self.settings.stream, self.settings.group, id="0", mkstream=True
            )
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self.redis.xgroup_createconsumer(self.settings.stream, self.settings.group, self.consumer)

    def read(self, count: int, block_ms: int | None) -> list[Entry]:
        """New entries for this consumer; `block_ms` None returns at once."""
        reply = self.redis.xreadgroup(
            self.settings.group,
            self.consumer,
            {self.settings.stream: ">"},
            count=count,
            block=block_ms,
        )
        if not reply:
            return []
        _, messages = reply[0]
        return [Entry(entry_id, fields or {}).parse() for entry_id, fields in messages]

    def reclaim(self, count: int) -> list[Entry]:
        """Take over entries other consumers left pending longer than claim_idle_ms (they died).

        Each call goes on from where the last one stopped (XAUTOCLAIM's cursor, back to 0-0
        once it has gone round), so entries deep in a long pending list are reached too."""
        next_start, messages = self.redis.xautoclaim(
            self.settings.stream,
            self.settings.group,
            self.consumer,
            min_idle_time=self.settings.claim_idle_ms,
            start_id=self._claim_from,
            count=count,
        )[:2]
        self._claim_from = next_start
        claimed = [Entry(entry_id, fields).parse() for entry_id, fields in messages if fields]
        # Redis 6.2 returns deleted entries with no fields; they have nothing left to do.
        gone = [entry_id for entry_id, fields in messages if not fields]
        if gone:
            self.redis.xack(self.settings.stream, self.settings.group, *gone)
        if claimed:
            counts = self._delivery_counts([entry.entry_id for entry in claimed])
            for entry in claimed:
                entry.deliveries = counts.get(entry.entry_id, entry.deliveries)
            log.warning("reclaimed %d reviews a stopped consumer left pending", len(claimed))
        return claimed

    def _delivery_counts(self, entry_ids: Sequence[str]) -> dict[str, int]:
        """Each entry's delivery count, asked for by its own id: a range query could come back
        full of other pending entries and miss some, which would then escape max_deliveries."""
        pipe = self.redis.pipeline(transaction=False)
        for entry_id in entry_ids:
            pipe.xpending_range(
                self.settings.stream, self.settings.group, min=entry_id, max=entry_id, count=1
            )
        return {
            item["message_id"]: int(item["times_delivered"])
            for pending in pipe.execute()
            for item in pending
        }

    def keep(self, entry_ids: Sequence[str]) -> None:
        """Reset the idle time of entries this consumer is still working on, so no other worker
        reclaims them (JUSTID leaves the delivery count alone)."""
        if entry_ids:
            self.redis.xclaim(
                self.settings.stream,
                self.settings.group,
                self.consumer,
                min_idle_time=0,
                message_ids=list(entry_ids),
                justid=True,
            )

    def finish(self, items: Sequence[Finish]) -> list[Finish]:
        """Ack, delete and answer `items` atomically; those this call answered or dead-lettered
        (not those another worker finished already, nor second entries of a review)."""
        if not items:
            return []
        args: list[str | int] = [
            self.settings.group,
            self.settings.result_ttl_s,
            self.settings.reply_stream_maxlen,
            RESULT_PREFIX,
            DONE_PREFIX,
            self.settings.dead_letter_maxlen,
            REPLY_ID_FIELD,
            REPLY_VERDICT_FIELD,
        ]
        for item in items:
            review = item.verdict.review if item.verdict else None
            args += [
                item.entry.entry_id,
                review.id if review else "",
                (review.reply_to or "") if review else "",
                item.verdict.model_dump_json() if item.verdict else "",
                item.dead_error,
                item.entry.deliveries,
                _dead_entry(item.entry, self.settings.max_review_chars) if item.dead_error else "",
            ]
        keys = [self.settings.stream, self.settings.dead_letter_stream, ERRORS_KEY]
        answered, problems = self._finish(keys=keys, args=args)
        for at in range(0, len(problems), 3):
            self._report(items[int(problems[at])], problems[at + 1], problems[at + 2])
        return [items[int(index)] for index in answered]

    def _report(self, item: Finish, where: str, error: str) -> None:
        """Log and count an answer the finish script could not deliver in full."""
        from worker import metrics

        metrics.ANSWER_FAILURES.labels(where).inc()
        review = item.verdict.review
        if where == "reply":
            log.error(
                "review %s: its reply to %r failed (%s); answered through its result key only",
                review.id,
                review.reply_to,
                error,
            )
        else:
            log.error("review %s: result key %s%s: %s", review.id, RESULT_PREFIX, review.id, error)

    def record_errors(self, errors: dict[str, str]) -> None:
        """Remember why entries failed, for their dead letter if they keep failing."""
        if errors:
            self.redis.hset(ERRORS_KEY, mapping=errors)

    def last_errors(self, entry_ids: Sequence[str]) -> dict[str, str]:
        """The recorded errors of those `entry_ids` that have one."""
        if not entry_ids:
            return {}
        errors = self.redis.hmget(ERRORS_KEY, list(entry_ids))
        return {i: e for i, e in zip(entry_ids, errors, strict=True) if e}

    def depth(self) -> int:
        return int(self.redis.xlen(self.settings.stream))

    def pending(self) -> int:
        try:
            return int(self.redis.xpending(self.settings.stream, self.settings.group)["pending"])
        except redis.ResponseError:  # no group yet
            return 0

    def leave(self) -> None:
        """Remove this consumer's rate, and the consumer itself from the group when it holds
        nothing (unique names would otherwise pile up in the rates hash and XINFO CONSUMERS)."""
        self.redis.hdel(RATE_KEY, self.consumer)
        mine = self.redis.xpending_range(
            self.settings.stream, self.settings.group, "-", "+", 1, consumername=self.consumer
        )
        if not mine:
            self.redis.xgroup_delconsumer(self.settings.stream, self.settings.group, self.consumer)


def _dead_entry(entry: Entry, max_chars: int) -> str:
    """The entry's fields as JSON for its dead letter, cut (and saying so) when far longer than
    any review may be: a hostile 5 MB entry is not copied into the dead-letter stream whole."""
    raw = json.dumps(entry.fields)
    return cut_text(raw, 2 * max_chars + 1024)
