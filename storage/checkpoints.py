"""SQLite WAL checkpoints in a thread of their own, off the writer's commits.

SQLite copies the write-ahead log back into the database file inside the COMMIT of whichever
write finds the log past `wal_autocheckpoint` pages: the worker's writer then waits for that
copy and its fsyncs. Measured with 100,000 reviews stored (bench/storage_writes.py, batches of
256, SQLite's default 1,000-page mark): 15-19k rows/s with the checkpoints in the commits,
26-28k without them, the commit's share of a review going from ~20 to ~8 µs.

Order of effects: a batch commits; `Store` calls `written()`; the thread (started by the first
call) wakes, runs `PRAGMA wal_checkpoint(PASSIVE)` on a connection of its own, then waits at
least INTERVAL_S before the next one. A PASSIVE checkpoint takes no lock that writers or readers
wait for; frames a reader still needs stay in the log for the next one. The thread's connection
releases the GIL while SQLite works, so on a multi-core host the copy runs beside the writer.
The writers' own mark (WRITER_CHECKPOINT_PAGES, set in engine.py) stays as a safety net: it is
reached only when this thread falls behind or a process writes without one.
"""

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

#: Seconds between checkpoints while writes keep coming: at the worker's rate, a quarter second
#: of writes is a few thousand pages of log, copied in one pass.
INTERVAL_S = 0.25
#: The writers' `wal_autocheckpoint` (SQLite's default: 1,000 pages, 4 MiB).
WRITER_CHECKPOINT_PAGES = 10_000


class Checkpointer:
    """Checkpoints the database file at `path` after writes, from a daemon thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        #: Checkpoints run, and the last one's (busy, log pages, pages copied), for tests and logs.
        self.runs = 0
        self.last: tuple[int, int, int] | None = None
        self._written = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._failing = False

    def written(self) -> None:
        """A write committed: checkpoint soon (starts the thread on the first call)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stop.is_set():
                    self._thread = threading.Thread(
                        target=self._run, name="sqlite-checkpoints", daemon=True
                    )
                    self._thread.start()
        self._written.set()

    def close(self) -> None:
        """Stop the thread after the checkpoint it may be running."""
        with self._lock:
            self._stop.set()
            self._written.set()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        connection = sqlite3.connect(self.path)
        try:
            while True:
                self._written.wait()
                if self._stop.is_set():
                    return
                self._written.clear()
                self._checkpoint(connection)
                if self._stop.wait(INTERVAL_S):
                    return
        finally:
            connection.close()

    def _checkpoint(self, connection: sqlite3.Connection) -> None:
        try:
            self.last = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:  # the writers' own mark still checkpoints meanwhile
            if not self._failing:
                log.warning("background checkpoint of %s failed: %s", self.path, exc)
            self._failing = True
            return
        if self._failing:
            log.info("background checkpoints of %s work again", self.path)
        self._failing = False
        self.runs += 1
