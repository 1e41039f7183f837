"""Background jobs: what RQ runs, as opposed to the review stream's items.

Each function is an RQ job: plain arguments in (RQ pickles them), a small JSON-able result
out, its own Store opened from settings (a job may run on any host with a `reviewbot jobs
worker`). They are enqueued by `reviewbot rescore` / `reviewbot jobs ...` (queueing.py) and
by the cron scheduler (schedule.py).
"""

import logging
from datetime import date, datetime
from pathlib import Path

from reviewbot.messages import Source

log = logging.getLogger(__name__)

#: Reviews classified per save_predictions call while re-scoring history.
RESCORE_CHUNK = 512


def rescore(since: datetime, until: datetime | None = None, checkpoint: str | None = None) -> dict:
    """Classify stored reviews received in [since, until) with `checkpoint` (None: the served
    one) and store its predictions beside the old ones, for comparing model versions."""
    from model import ModelSettings, load
    from storage import open_store
    from worker.runner import checkpoint_path

    settings = ModelSettings()
    classifier = load(checkpoint or checkpoint_path(settings), settings)
    rescored = failed = 0
    with open_store() as store:
        store.register_model(
            classifier.version, str(classifier.path), classifier.threshold, classifier.meta.metrics
        )
        chunk = []
        for review in store.reviews_since(since, until):
            chunk.append(review)
            if len(chunk) == RESCORE_CHUNK:
                rescored, failed = _rescore_chunk(store, classifier, chunk, rescored, failed)
                chunk = []
        if chunk:
            rescored, failed = _rescore_chunk(store, classifier, chunk, rescored, failed)
    log.info("re-scored %d reviews with %s (%d failed)", rescored, classifier.version, failed)
    return {"model_version": classifier.version, "rescored": rescored, "failed": failed}


def _rescore_chunk(store, classifier, reviews, rescored: int, failed: int) -> tuple[int, int]:
    from worker.isolation import classify_isolated

    outcomes = classify_isolated(classifier, [review.text for review in reviews])
    pairs = [(r.id, p) for r, p in zip(reviews, outcomes, strict=True) if not isinstance(p, str)]
    store.save_predictions(pairs)
    return rescored + len(pairs), failed + len(reviews) - len(pairs)


def drift(
    reference: tuple[date, date] | None = None,
    current: tuple[date, date] | None = None,
    out_dir: str | None = None,
) -> dict:
    """The drift report (JSON + plots in out_dir); its alerts are the job's result."""
    from drift.report import drift_report

    report = drift_report(reference, current, Path(out_dir) if out_dir else None)
    return report.model_dump(mode="json")


def forget(source: str, user_id: str) -> int:
    """Delete a person's stored reviews (the /forget command); how many were removed."""
    from storage import open_store

    with open_store() as store:
        return store.forget_user(Source(source), user_id)


def prune(older_than_days: int | None = None) -> int:
    """Erase the personal data of reviews older than the retention period."""
    from storage.retention import prune as prune_history

    return prune_history(older_than_days)


def train(data: str, out: str, overwrite: bool = False) -> dict:
    """Train a checkpoint (training settings from the job worker's environment) and register
    it in the history database; serve it with REVIEWBOT_MODEL_CHECKPOINT, compare it first
    with `reviewbot rescore --checkpoint`."""
    from model.checkpoint import model_version
    from storage import open_store
    from training.train import train as run_training

    result = run_training(data, Path(out), overwrite=overwrite)
    version = model_version(result.path, result.meta)
    with open_store() as store:
        store.register_model(version, str(result.path), result.meta.threshold, result.meta.metrics)
    return {
        "checkpoint": str(result.path),
        "model_version": version,
        "threshold": result.meta.threshold,
        "metrics": result.meta.metrics,
    }
