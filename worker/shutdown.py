"""Graceful shutdown: the first SIGTERM/SIGINT asks the worker to stop reading, finish the
batches in flight, ack and exit; a second one exits at once (what it held is reclaimed by
another worker after claim_idle_ms, so even that loses nothing)."""

import logging
import os
import signal
import threading

log = logging.getLogger(__name__)


def install(stop: threading.Event, pooled: bool = False) -> None:
    """Route SIGTERM and SIGINT to `stop` (main thread only, as Python requires).

    `pooled`: a child of `--processes N`. Ctrl-C reaches every process of the terminal, but
    the parent forwards it as SIGTERM, so a child ignores SIGINT instead of taking the
    forwarded signal as the impatient second one.
    """

    def handle(signum: int, _frame: object) -> None:
        if stop.is_set():
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            os._exit(128 + signum)
        log.info("%s: finishing the batches in flight, then exiting", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, signal.SIG_IGN if pooled else handle)
