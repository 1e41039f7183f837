"""Settings of the worker room (prefix REVIEWBOT_WORKER_).

Batching knobs are named after Text Embeddings Inference's (`--max-batch-tokens`,
`--max-batch-requests`, `--max-concurrent-requests`) so operators find familiar names.
"""

from pydantic import Field
from pydantic_settings import BaseSettings

from reviewbot.settings import room_config


class WorkerSettings(BaseSettings):
    model_config = room_config("REVIEWBOT_WORKER_")

    #: Redis stream the front-ends add reviews to.
    stream: str = "reviewbot:reviews"
    #: Consumer group every worker joins.
    group: str = "workers"
    #: Stream a review goes to after `max_deliveries` failed attempts, with its error.
    dead_letter_stream: str = "reviewbot:dead"
    #: Approximate length cap of the dead-letter stream (XADD MAXLEN ~): beyond it the oldest
    #: dead letters are dropped, so a flood of bad entries cannot fill Redis's memory.
    dead_letter_maxlen: int = Field(100_000, ge=1)
    #: Reviews longer than this many characters are refused before they enter Redis.
    max_review_chars: int = Field(4000, ge=1)
    #: Backlog bound: with this many reviews waiting or in flight, `submit` answers "busy".
    max_concurrent_requests: int = Field(10_000, ge=1)
    #: Most reviews one worker takes from the stream at once. The model splits them into
    #: forward passes (REVIEWBOT_MODEL_MAX_BATCH_*); a large take lets it sort more reviews by
    #: length, so passes pad less: on CPU, taking 1,024 instead of 256 under saturation brought
    #: end-to-end throughput from 0.84 to 0.97 of the direct batched call.
    max_batch_requests: int = Field(1024, ge=1)
    #: Estimated tokens one worker takes from the stream at once (characters / 4 + 2 per review).
    max_batch_tokens: int = Field(32768, ge=1)
    #: Longest extra wait for more reviews after the first one arrived, in milliseconds.
    max_wait_ms: float = Field(2.0, ge=0)
    #: How long one blocking read waits for the first review (also how often shutdown is checked).
    block_ms: int = Field(500, ge=1)
    #: Entries a consumer left pending this long (it died) are reclaimed by another worker.
    claim_idle_ms: int = Field(15000, ge=100)
    #: Deliveries after which a review goes to the dead-letter stream.
    max_deliveries: int = Field(3, ge=1)
    #: Seconds the result key of a review lives (`wait_result`, `reviewbot classify`).
    result_ttl_s: int = Field(600, ge=1)
    #: Approximate length cap of each reply stream (XADD MAXLEN ~).
    reply_stream_maxlen: int = Field(100_000, ge=1)
    #: Longest wait between retries while the database is unreachable (acks are held meanwhile).
    store_retry_max_s: float = Field(30.0, gt=0)
    #: Worker processes; 0: one per CUDA GPU, or 1 without a GPU.
    processes: int = Field(0, ge=0)
    #: Port of /healthz and /metrics (process i of a pool uses port + i); 0 turns them off.
    metrics_port: int = Field(9464, ge=0)
    metrics_host: str = "127.0.0.1"
    #: RQ queue of background jobs (re-scoring, training, drift reports, deletions).
    jobs_queue: str = "reviewbot-jobs"
    #: Cron schedule (local time) of the drift report; empty: not scheduled.
    drift_cron: str = "0 4 * * 1"
    #: Cron schedule (local time) of retention pruning; empty: not scheduled.
    prune_cron: str = "30 3 * * *"
