"""Background work on RQ: re-scoring history, training runs, drift reports, /forget deletions,
retention pruning, and the cron schedule that enqueues the periodic ones."""
