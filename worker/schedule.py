"""Scheduled jobs, on RQ's cron scheduler: the weekly drift report and daily retention pruning.

`reviewbot jobs cron` runs the scheduler (one per deployment); it only enqueues, so the jobs
themselves run on the `reviewbot jobs worker` processes.
"""

from rq.cron import CronScheduler

from worker import jobs
from worker.settings import WorkerSettings


def build_scheduler(connection, settings: WorkerSettings | None = None) -> CronScheduler:
    settings = settings or WorkerSettings()
    scheduler = CronScheduler(connection=connection)
    if settings.drift_cron:
        scheduler.register(
            jobs.drift, settings.jobs_queue, cron=settings.drift_cron, name="drift-report"
        )
    if settings.prune_cron:
        scheduler.register(
            jobs.prune, settings.jobs_queue, cron=settings.prune_cron, name="retention-prune"
        )
    return scheduler
