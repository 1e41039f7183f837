"""lingua in processes of its own, so that its work leaves the worker's GIL to the other steps.

lingua 2.1.1 holds the GIL while it detects. Measured on this machine: two threads each looping
over `detect_language_of` took 2.31x the wall time of one thread doing half the work, and a
thread spinning in Python ran at 0.47 of its free rate beside such a loop (0.02 beside
`detect_languages_in_parallel_of`). A worker process on a GPU host is bound by its GIL (on an
H100 host one process kept 1.07 of 16 cores busy: docs/worker.md, "Measured on an H100"), so
the reviews the function words leave to lingua (11% of movie snippets, 77% of Spanish tweets)
cost every other step of the worker its turn. Here they go to a small process pool whose
processes preload lingua's models once (~350 MB each); the encoding thread waits for the
answer without holding the GIL.

Order of effects of `detect(texts)`: the texts are pickled to a pool process; it runs step 2 of
model/language.py on each and returns the languages with its own CPU seconds (which the encoder
adds to the "language" step's cost, as it does sentencepiece's thread's); if the pool is broken
(one of its processes was killed), those texts and every later call are detected in the calling
thread instead, with one error in the log: no review waits on a dead process.
"""

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from model.language import lingua_languages, preload
from reviewbot.messages import Language

log = logging.getLogger(__name__)


class LanguageProcesses:
    """lingua's step of language detection in `processes` processes of its own."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        # Spawned, not forked: the worker has CUDA and threads running by then.
        self._pool: ProcessPoolExecutor | None = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_in_process,
            initargs=(os.getpid(),),
        )
        self._lock = threading.Lock()

    def detect(self, texts: Sequence[str]) -> tuple[list[Language], float]:
        """(the language of each text, the CPU seconds a pool process spent on them: 0 when
        they were detected in the calling thread, whose own clock already counts them)."""
        pool = self._pool
        if pool is not None and texts:
            try:
                return pool.submit(_detect_in_process, list(texts)).result()
            except BrokenProcessPool as error:
                self._give_up(pool, error)
        return lingua_languages(texts), 0.0

    def warm_up(self, timeout_s: float = 120.0) -> None:
        """Start every process and wait until each has loaded its language models. The pool
        starts processes on demand, and one that loads (~1.5 s of a core) while the first
        reviews come in slows them: with 2 processes on 2 cores, the light-load p50 went from
        4.7 to 8.5 ms when the second one started during the bench's first reviews."""
        deadline = time.monotonic() + timeout_s
        ready: set[int] = set()
        while len(ready) < self.processes and time.monotonic() < deadline:
            pool = self._pool
            if pool is None:
                return
            # As many tasks at once as processes: each submit finds no idle process and starts
            # one; a process takes tasks only once its models are loaded.
            tasks = [pool.submit(os.getpid) for _ in range(self.processes)]
            try:
                ready.update(task.result() for task in tasks)
            except BrokenProcessPool as error:
                self._give_up(pool, error)
                return
            if len(ready) < self.processes:
                time.sleep(0.05)

    def close(self) -> None:
        """Stop the processes and wait until they are gone. Not without waiting: the pool tells
        its processes to leave from a thread of its own, and in a worker process of a pool
        multiprocessing's exit hook closes the pool's task queue before joining the
        processes, so a message sent after that never arrived and the worker waited for
        ever."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _give_up(self, pool: ProcessPoolExecutor, error: BaseException) -> None:
        with self._lock:
            if self._pool is not pool:
                return  # another thread already did
            self._pool = None
        log.error(
            "language detection processes failed (%s): detecting in the worker's own threads "
            "from now on",
            error,
        )
        pool.shutdown(wait=False, cancel_futures=True)


#: Seconds between a pool process's checks that the worker that started it is still there.
PARENT_CHECK_S = 0.5


def _start_in_process(parent: int) -> None:
    """A pool process's start: load the language models; leave when the worker is gone. A
    worker killed outright (SIGKILL, the OOM killer) never shuts its pool down, and the pool's
    processes would wait on their task queue for ever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    preload()


def _detect_in_process(texts: list[str]) -> tuple[list[Language], float]:
    started = time.process_time()
    languages = lingua_languages(texts)
    return languages, time.process_time() - started
