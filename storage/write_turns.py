"""SQLite writers of this system take turns through a file lock, not SQLite's busy handler.

SQLite lets one transaction write at a time. A writer that finds the write lock taken waits in
SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25, ... up to 100 ms between tries
whatever the holder does: with several worker processes on one file (`reviewbot worker
--processes 4` on a GPU host), the lock is often free while every waiting writer sleeps. On an
H100 host four worker processes spent ~7x the store's CPU time waiting in it
(docs/worker.md, "Measured on an H100"). Measured with `bench/storage_writes.py --writers 4`
(docs/storage.md): turns lift four writers' total rate and cut their slowest batches.

Order of effects of `turn()`: this process's threads queue on a thread lock; the one in turn
tries an exclusive `flock` on `<database>.write.lock` every POLL_S until it has it or the busy
timeout has passed; the caller's transaction begins (BEGIN IMMEDIATE), writes, commits or rolls
back; the flock is released, then the thread lock. A turn not had within the timeout goes on
without it, to SQLite's own lock and busy timeout, as do writers that take no turns (the
sqlite3 shell, other programs): the turns make waiting cheaper, SQLite's lock keeps writes
correct. A process that dies in its turn loses the flock with its file descriptor.
"""

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Iterator

log = logging.getLogger(__name__)

#: Seconds between tries for the file lock: a waiting writer starts within this of the last
#: one's commit (SQLite's handler: up to 100 ms). Each try is one system call.
POLL_S = 0.00025


class WriteTurns:
    """Turns among the writers of the SQLite file at `database`, in and across processes."""

    def __init__(self, database: str, timeout_s: float) -> None:
        self.path = f"{database}.write.lock"
        self.timeout_s = timeout_s
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._fd_pid = 0
        #: Turns that went on without the file lock (it timed out or could not be opened).
        self.missed = 0

    @contextlib.contextmanager
    def turn(self) -> Iterator[bool]:
        """Hold this writer's turn for the block; yields whether it has the file lock."""
        deadline = time.monotonic() + self.timeout_s
        if not self._thread_lock.acquire(timeout=self.timeout_s):
            self.missed += 1
            yield False
            return
        try:
            fd = self._lock_file()
            held = fd is not None and _flock_until(fd, deadline)
            if not held:
                self.missed += 1
            try:
                yield held
            finally:
                if held:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def _lock_file(self) -> int | None:
        # A forked child (RQ's work horses) must not share its parent's open file: a flock
        # belongs to the open file, so parent and child would both "hold" it.
        if self._fd is None or self._fd_pid != os.getpid():
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as error:  # a read-only folder: SQLite's own lock still serializes
                log.debug("no write turns for %s: %s", self.path, error)
                return None
            self._fd_pid = os.getpid()
        return self._fd

    def close(self) -> None:
        if self._fd is not None and self._fd_pid == os.getpid():
            os.close(self._fd)
        self._fd = None


def _flock_until(fd: int, deadline: float) -> bool:
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_S)
