"""Scheduled jobs, on RQ's cron scheduler: the weekly drift report and daily retention pruning.

`reviewbot jobs cron` runs the scheduler (one per deployment); it only enqueues, so the jobs
themselves run on the `reviewbot jobs worker` processes.
"""

from rq.cron import CronScheduler

from jobs import tasks
from jobs.settings import JobsSettings


def build_scheduler(connection, settings: JobsSettings | None = None) -> CronScheduler:
    settings = settings or JobsSettings()
    scheduler = CronScheduler(connection=connection)
    if settings.drift_cron:
        scheduler.register(
            tasks.drift, settings.queue, cron=settings.drift_cron, name="drift-report"
        )
    if settings.prune_cron:
        scheduler.register(
            tasks.prune, settings.queue, cron=settings.prune_cron, name="retention-prune"
        )
    return scheduler
