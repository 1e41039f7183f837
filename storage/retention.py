"""Retention: erase the personal part of old reviews, keep their scores for drift history."""

import logging
from datetime import UTC, datetime, timedelta

from storage.settings import StorageSettings

log = logging.getLogger(__name__)


def prune(older_than_days: int | None = None, *, store=None) -> int:
    """Erase text, chat, user and message ids of reviews received more than N days ago.

    None: REVIEWBOT_STORAGE_RETENTION_DAYS; 0 keeps everything. Returns how many reviews were
    pruned. Predictions, languages and text lengths stay, anonymous. `store`: None opens the
    configured one (how the scheduled RQ job runs it).
    """
    from storage import open_store

    days = StorageSettings().retention_days if older_than_days is None else older_than_days
    if days <= 0:
        return 0
    cutoff = datetime.now(UTC) - timedelta(days=days)
    own_store = store is None
    store = store or open_store()
    try:
        pruned = store.erase_personal_data(cutoff)
    finally:
        if own_store:
            store.close()
    log.info("pruned %d reviews received before %s", pruned, cutoff.isoformat())
    return pruned
