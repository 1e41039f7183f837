"""Renamed variables keep working for one release, with a deprecation warning; the new name wins."""

import pytest

from drift.settings import DriftSettings
from jobs.settings import JobsSettings
from worker.settings import WorkerSettings


def test_the_worker_read_budget_is_still_read_from_its_old_name(monkeypatch):
    monkeypatch.setenv("REVIEWBOT_WORKER_MAX_BATCH_REQUESTS", "8")
    monkeypatch.setenv("REVIEWBOT_WORKER_MAX_BATCH_TOKENS", "900")
    with pytest.warns(DeprecationWarning, match="REVIEWBOT_WORKER_READ_MAX_REVIEWS"):
        settings = WorkerSettings()
    assert (settings.read_max_reviews, settings.read_max_estimated_tokens) == (8, 900)


def test_the_new_name_wins_over_the_old_one(monkeypatch, recwarn):
    monkeypatch.setenv("REVIEWBOT_WORKER_MAX_BATCH_REQUESTS", "8")
    monkeypatch.setenv("REVIEWBOT_WORKER_READ_MAX_REVIEWS", "16")
    assert WorkerSettings().read_max_reviews == 16
    assert not [w for w in recwarn if issubclass(w.category, DeprecationWarning)]


def test_jobs_and_drift_settings_that_left_other_rooms_keep_their_old_names(monkeypatch):
    monkeypatch.setenv("REVIEWBOT_WORKER_JOBS_QUEUE", "old-queue")
    monkeypatch.setenv("REVIEWBOT_WORKER_PRUNE_CRON", "")
    monkeypatch.setenv("REVIEWBOT_STORAGE_DRIFT_BINS", "20")
    with pytest.warns(DeprecationWarning):
        jobs = JobsSettings()
    with pytest.warns(DeprecationWarning):
        drift = DriftSettings()
    assert jobs.queue == "old-queue" and jobs.prune_cron == ""  # empty still means unscheduled
    assert drift.bins == 20


def test_an_explicit_value_wins_over_an_old_variable(monkeypatch):
    monkeypatch.setenv("REVIEWBOT_WORKER_MAX_BATCH_REQUESTS", "8")
    assert WorkerSettings(read_max_reviews=32).read_max_reviews == 32
