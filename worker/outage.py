"""One dependency's outage (Redis, the database) as operators see it: a log line when it goes
down, one every `every_s` while it stays down, one when it is back, and metrics.

A worker retries a failing dependency every second or so; a traceback per retry would bury
the one line that matters (what failed, since when) under thousands of identical ones.
"""

import logging
import threading
import time

from worker import metrics


class Outage:
    """Call `failed(error)` on every failed attempt and `ok()` on every successful one."""

    def __init__(self, dependency: str, every_s: float, log: logging.Logger) -> None:
        self.dependency = dependency
        self.every_s = every_s
        self.log = log
        self.since: float | None = None
        self._last_said = 0.0
        self._failures = 0
        self._lock = threading.Lock()
        metrics.DEPENDENCY_DOWN.labels(dependency).set(0)

    @property
    def down(self) -> bool:
        return self.since is not None

    def failed(self, error: BaseException | str) -> None:
        now = time.monotonic()
        metrics.DEPENDENCY_ERRORS.labels(self.dependency).inc()
        with self._lock:
            self._failures += 1
            if self.since is None:
                self.since = self._last_said = now
                self._failures = 1
                metrics.DEPENDENCY_DOWN.labels(self.dependency).set(1)
                metrics.DEPENDENCY_OUTAGES.labels(self.dependency).inc()
                self.log.error("%s down: %s", self.dependency, _one_line(error))
            elif now - self._last_said >= self.every_s:
                self._last_said = now
                self.log.error(
                    "%s still down after %.0f s (%d failed attempts): %s",
                    self.dependency,
                    now - self.since,
                    self._failures,
                    _one_line(error),
                )

    def ok(self) -> None:
        if self.since is None:  # the common case: no lock, no metric update
            return
        with self._lock:
            if self.since is None:
                return
            self.log.warning(
                "%s back after %.1f s (%d failed attempts)",
                self.dependency,
                time.monotonic() - self.since,
                self._failures,
            )
            self.since = None
            metrics.DEPENDENCY_DOWN.labels(self.dependency).set(0)


def _one_line(error: BaseException | str) -> str:
    text = str(error).strip() or type(error).__name__
    name = type(error).__name__ if isinstance(error, BaseException) else ""
    line = text.splitlines()[0]
    return f"{name}: {line}" if name and name not in line else line
