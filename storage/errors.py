"""Errors the storage room raises to its callers."""


class StoreUnavailable(Exception):
    """The database cannot be reached right now (refused, gone, locked): retry later, keep the work."""


class StoreNotMigrated(RuntimeError):
    """The database schema is older than this code: run `reviewbot db upgrade`."""


class StoreRefused(StoreUnavailable):
    """The database refuses every write alike (permission denied, read-only after a failover,
    disk full, tables missing): an outage for the caller, until an operator fixes it."""


def reason_of(error: BaseException, limit: int = 300) -> str:
    """What the database said, in one short line: the driver's message without SQLAlchemy's
    statement and parameters (which would copy the reviews' text into logs and answers)."""
    said = str(getattr(error, "orig", None) or error).strip()
    line = said.splitlines()[0] if said else type(error).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"
