"""The RQ side: the jobs queue, enqueueing each job with its retry policy, running job workers.

Job workers are RQ's SimpleWorker (or a WorkerPool of them): the job runs in the worker's own
process, so a model loaded on CUDA stays usable (the forking Worker breaks CUDA and reloads
the model per job), and `rq info` lists them like any RQ worker.
"""

from datetime import date, datetime

import redis
from rq import Queue, Retry, SimpleWorker
from rq.job import Job

from jobs import tasks
from jobs.settings import JobsSettings
from reviewbot.connection import connect_rq

#: Transient failures (database restarting, Redis failover) are retried with growing pauses.
RETRY = Retry(max=3, interval=[10, 60, 300])
WEEK_S = 7 * 24 * 3600


def jobs_queue(
    connection: redis.Redis | None = None, settings: JobsSettings | None = None
) -> Queue:
    settings = settings or JobsSettings()
    return Queue(settings.queue, connection=connection or connect_rq())


def enqueue_rescore(
    queue: Queue, since: datetime, until: datetime | None = None, checkpoint: str | None = None
) -> Job:
    # No automatic retry: a long re-scoring run is rerun by hand; predictions are idempotent.
    return queue.enqueue(
        tasks.rescore,
        since,
        until,
        checkpoint,
        job_timeout="12h",
        result_ttl=WEEK_S,
        description=f"rescore reviews since {since:%Y-%m-%d %H:%M} "
        f"with {checkpoint or 'the served checkpoint'}",
    )


def enqueue_drift(
    queue: Queue,
    reference: tuple[date, date] | None = None,
    current: tuple[date, date] | None = None,
    out_dir: str | None = None,
) -> Job:
    return queue.enqueue(tasks.drift, reference, current, out_dir, retry=RETRY, result_ttl=WEEK_S)


def enqueue_forget(queue: Queue, source: str, user_id: str) -> Job:
    # A deletion request must not be lost to a database blip: retried, kept on failure for review.
    return queue.enqueue(tasks.forget, source, user_id, retry=RETRY, result_ttl=WEEK_S)


def enqueue_prune(queue: Queue, older_than_days: int | None = None) -> Job:
    return queue.enqueue(tasks.prune, older_than_days, retry=RETRY, result_ttl=WEEK_S)


def enqueue_train(queue: Queue, data: str, out: str, overwrite: bool = False) -> Job:
    return queue.enqueue(
        tasks.train,
        data,
        out,
        overwrite,
        job_timeout="24h",
        result_ttl=WEEK_S,
        description=f"train on {data} into {out}",
    )


def work(queue: Queue, processes: int = 1, burst: bool = False) -> None:
    """Run job workers on `queue` until stopped (burst: until it is empty)."""
    if processes <= 1:
        SimpleWorker([queue], connection=queue.connection).work(burst=burst)
        return
    from rq.worker_pool import WorkerPool

    pool = WorkerPool(
        [queue], connection=queue.connection, num_workers=processes, worker_class=SimpleWorker
    )
    pool.start(burst=burst)
