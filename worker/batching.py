"""The batching policy: block for the first review, then drain greedily within the budgets.

Like TEI's router: never a fixed sleep. The first read blocks (so an idle worker costs
nothing); then whatever is already queued is taken at once, up to `read_max_reviews` and
`read_max_estimated_tokens` (estimated from characters, since tokenizing is the next stage's job);
only when the stream runs dry early does the worker wait, at most `max_wait_ms` in all, for
stragglers. Under load the batch fills from what piled up while the previous one ran.
"""

import time

from worker.leases import Leases
from worker.settings import WorkerSettings
from worker.stream import Entry, ReviewStream

#: Rough characters per XLM-R token in English/Spanish prose; only the drain budget uses it.
CHARS_PER_TOKEN = 4
SPECIAL_TOKENS = 2
#: Entries asked for per non-blocking read while draining: small enough not to overshoot the
#: token budget by much, large enough to keep round trips few.
DRAIN_CHUNK = 64
#: Poll period while waiting for stragglers (a non-blocking read costs ~0.1 ms).
STRAGGLER_POLL_S = 0.0005


def estimated_tokens(entry: Entry) -> int:
    text = entry.review.text if entry.review else ""
    return len(text) // CHARS_PER_TOKEN + SPECIAL_TOKENS


class Collector:
    def __init__(self, stream: ReviewStream, settings: WorkerSettings, leases: Leases) -> None:
        self.stream = stream
        self.settings = settings
        self.leases = leases
        self._next_reclaim = 0.0

    def collect(self) -> list[Entry]:
        """The next batch: reclaimed entries first, then new ones. Empty after `block_ms`
        with nothing to do."""
        settings = self.settings
        batch = self._reclaim_if_due()
        if not batch:
            batch = self.stream.read(settings.read_max_reviews, settings.block_ms)
            if not batch:
                return []
        tokens = sum(map(estimated_tokens, batch))
        deadline = time.monotonic() + settings.max_wait_ms / 1000
        while (
            len(batch) < settings.read_max_reviews and tokens < settings.read_max_estimated_tokens
        ):
            count = min(DRAIN_CHUNK, settings.read_max_reviews - len(batch))
            more = self.stream.read(count, None) or self._straggle(count, deadline)
            if not more:
                break
            batch += more
            tokens += sum(map(estimated_tokens, more))
        return batch

    def _straggle(self, count: int, deadline: float) -> list[Entry]:
        """Poll for late arrivals until `deadline`. Not XREADGROUP BLOCK: Redis checks blocked
        clients' timeouts only every 1/hz s (100 ms by default), so a 2 ms BLOCK that nothing
        serves costs 100 ms."""
        while (remaining := deadline - time.monotonic()) > 0:
            time.sleep(min(STRAGGLER_POLL_S, remaining))
            if more := self.stream.read(count, None):
                return more
        return []

    def _reclaim_if_due(self) -> list[Entry]:
        now = time.monotonic()
        if now < self._next_reclaim:
            return []
        # Half the idle limit: an entry of a dead consumer waits at most 1.5 x claim_idle_ms.
        self._next_reclaim = now + self.settings.claim_idle_ms / 2000
        # This worker's own held entries first, or a stalled lease thread would let it take
        # them back from itself and count a delivery each (leases.py).
        self.leases.renew()
        return self.stream.reclaim(self.settings.read_max_reviews)
