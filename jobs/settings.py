"""Settings of the background-jobs room (prefix REVIEWBOT_JOBS_).

Until 0.2 these were worker settings (REVIEWBOT_WORKER_JOBS_QUEUE, _DRIFT_CRON, _PRUNE_CRON);
those names still work for one release, with a deprecation warning.
"""

from typing import ClassVar

from reviewbot.settings import RenamedVariables, room_config


class JobsSettings(RenamedVariables):
    model_config = room_config("REVIEWBOT_JOBS_")

    renamed_from: ClassVar[dict[str, str]] = {
        "queue": "REVIEWBOT_WORKER_JOBS_QUEUE",
        "drift_cron": "REVIEWBOT_WORKER_DRIFT_CRON",
        "prune_cron": "REVIEWBOT_WORKER_PRUNE_CRON",
    }

    #: RQ queue of background jobs (re-scoring, training, drift reports, deletions).
    queue: str = "reviewbot-jobs"
    #: Cron schedule (local time) of the drift report; empty: not scheduled.
    drift_cron: str = "0 4 * * 1"
    #: Cron schedule (local time) of retention pruning; empty: not scheduled.
    prune_cron: str = "30 3 * * *"
