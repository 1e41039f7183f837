"""Errors the storage room raises to its callers."""


class StoreUnavailable(Exception):
    """The database cannot be reached right now (refused, gone, locked): retry later, keep the work."""


class StoreNotMigrated(RuntimeError):
    """The database schema is older than this code: run `reviewbot db upgrade`."""
