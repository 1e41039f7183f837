"""Keep entries this worker is still working on from looking abandoned.

Other workers reclaim entries idle longer than claim_idle_ms. A batch held back (a slow
model, a database that is down for minutes while acks are held) must not be reclaimed and
classified twice, so a background thread resets the idle time of every held entry every
third of claim_idle_ms. A worker that dies stops doing this, which is exactly when its entries
should be reclaimed.

The worker's own collector renews them too, just before it reclaims (batching.py): a thread
can be held up longer than its period (a C extension holding the GIL: lingua loading its
n-gram models on first use held it 2.3-3.3 s, measured with py-spy --gil), and the worker
must never take back, and count as delivered again, what it is still working on itself.
"""

import logging
import threading
from collections.abc import Iterable

from worker.stream import ReviewStream

log = logging.getLogger(__name__)


class Leases:
    def __init__(self, stream: ReviewStream) -> None:
        self.stream = stream
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="leases", daemon=True)

    def start(self) -> "Leases":
        self._thread.start()
        return self

    def hold(self, entry_ids: Iterable[str]) -> None:
        with self._lock:
            self._held.update(entry_ids)

    def release(self, entry_ids: Iterable[str]) -> None:
        with self._lock:
            self._held.difference_update(entry_ids)

    def renew(self) -> None:
        """Reset the idle time of every held entry now."""
        with self._lock:
            held = list(self._held)
        self.stream.keep(held)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        period = self.stream.settings.claim_idle_ms / 3000
        while not self._stop.wait(period):
            try:
                self.renew()
            except Exception as exc:  # noqa: BLE001 - retried next period; Redis may be restarting
                log.warning("could not renew the leases of %d entries: %s", len(self._held), exc)
