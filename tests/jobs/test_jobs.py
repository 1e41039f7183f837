"""RQ jobs run end to end on a real Redis, a real SQLite history and RQ's SimpleWorker."""

from datetime import UTC, datetime, timedelta

import pytest
import redis
from rq import SimpleWorker

from jobs.queueing import enqueue_forget, enqueue_rescore, jobs_queue
from jobs.schedule import build_scheduler
from jobs.settings import JobsSettings
from model import ModelSettings, load
from model.tiny import build_tiny_checkpoint
from reviewbot.messages import Review, Source, Verdict
from storage import open_store


@pytest.fixture
def history(tmp_path, monkeypatch, tiny_checkpoint):
    """A SQLite history with three served reviews; the jobs find it through the settings."""
    url = f"sqlite:///{tmp_path}/history.db"
    monkeypatch.setenv("REVIEWBOT_DATABASE_URL", url)
    monkeypatch.setenv("REVIEWBOT_MODEL_CHECKPOINT", str(tiny_checkpoint))
    monkeypatch.setenv("REVIEWBOT_MODEL_DEVICE", "cpu")
    served = load(tiny_checkpoint, ModelSettings(device="cpu"))
    reviews = [
        Review(text="loved every minute", source=Source.TELEGRAM, user_id="ana"),
        Review(text="no me gustó nada", source=Source.TELEGRAM, user_id="ana"),
        Review(text="a fine thriller", source=Source.DISCORD, user_id="bob"),
    ]
    predictions = served.predict([review.text for review in reviews])
    with open_store(url) as store:
        store.save_verdicts(
            [Verdict(review=r, prediction=p) for r, p in zip(reviews, predictions, strict=True)]
        )
    return url, reviews, served.version


def test_rescore_job_stores_predictions_of_the_new_checkpoint(redis_url, history, tmp_path):
    url, reviews, served_version = history
    new_checkpoint = build_tiny_checkpoint(tmp_path / "retrained", threshold=0.5, seed=7)
    queue = jobs_queue(redis.Redis.from_url(redis_url), JobsSettings())
    since = datetime.now(UTC) - timedelta(hours=1)
    job = enqueue_rescore(queue, since, None, str(new_checkpoint))

    assert SimpleWorker([queue], connection=queue.connection).work(burst=True)
    job.refresh()
    assert job.is_finished, (
        job.latest_result().exc_string if job.latest_result() else job.get_status()
    )
    result = job.return_value()
    assert result["rescored"] == len(reviews) and result["failed"] == 0
    assert result["model_version"] != served_version

    from sqlalchemy import text

    with open_store(url) as store, store.session() as session:
        rows = session.execute(
            text("SELECT model_version, count(*) FROM predictions GROUP BY 1")
        ).all()
    assert dict(rows) == {served_version: len(reviews), result["model_version"]: len(reviews)}


def test_forget_job_deletes_one_persons_reviews(redis_url, history):
    url, reviews, _ = history
    queue = jobs_queue(redis.Redis.from_url(redis_url), JobsSettings())
    job = enqueue_forget(queue, "telegram", "ana")
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    job.refresh()
    assert job.return_value() == 2
    with open_store(url) as store:
        left = list(store.reviews_since(datetime(2000, 1, 1, tzinfo=UTC)))
    assert [review.user_id for review in left] == ["bob"]


def test_cron_schedules_drift_and_pruning(redis_url):
    scheduler = build_scheduler(
        redis.Redis.from_url(redis_url), JobsSettings(drift_cron="0 4 * * 1")
    )
    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"drift-report", "retention-prune"}
    assert jobs["drift-report"].func_name == "jobs.tasks.drift"
    assert jobs["drift-report"].next_enqueue_time.astimezone().weekday() == 0  # Mondays
    only_drift = build_scheduler(redis.Redis.from_url(redis_url), JobsSettings(prune_cron=""))
    assert [job.name for job in only_drift.get_jobs()] == ["drift-report"]


def test_rescore_command_enqueues_and_status_reports(redis_url, history, monkeypatch):
    from typer.testing import CliRunner

    from reviewbot.cli import app

    monkeypatch.setenv("REVIEWBOT_REDIS_URL", redis_url)
    runner = CliRunner()
    bad = runner.invoke(app, ["rescore", "--since", "last tuesday"])
    assert bad.exit_code != 0 and "is not a date" in bad.output

    enqueued = runner.invoke(app, ["rescore", "--since", "2000-01-01"])
    assert enqueued.exit_code == 0, enqueued.output
    job_id = enqueued.output.split("enqueued job ")[1].split()[0]
    queue = jobs_queue(redis.Redis.from_url(redis_url), JobsSettings())
    SimpleWorker([queue], connection=queue.connection).work(burst=True)

    status = runner.invoke(app, ["jobs", "status", job_id])
    assert status.exit_code == 0
    assert "finished" in status.output and "'rescored': 3" in status.output


def test_drift_and_prune_jobs_run_on_the_configured_store(redis_url, history, tmp_path):
    from jobs.queueing import enqueue_drift, enqueue_prune

    queue = jobs_queue(redis.Redis.from_url(redis_url), JobsSettings())
    drift = enqueue_drift(queue, out_dir=str(tmp_path / "drift"))
    prune = enqueue_prune(queue, older_than_days=1)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    drift.refresh()
    prune.refresh()
    assert drift.is_finished, drift.latest_result().exc_string
    assert prune.is_finished, prune.latest_result().exc_string
    assert prune.return_value() == 0  # the stored reviews are minutes old
    report = drift.return_value()
    assert isinstance(report, dict) and (tmp_path / "drift").is_dir()
    assert any(p.suffix == ".json" for p in (tmp_path / "drift").iterdir())
