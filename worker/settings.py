"""Settings of the worker room (prefix REVIEWBOT_WORKER_).

The stream name, the review length limit and the backlog bound are shared with the front-ends
(reviewbot.settings.StreamSettings, same REVIEWBOT_WORKER_ variables). What one read takes from
the stream is bounded by `read_max_reviews` and `read_max_estimated_tokens`; what one forward
pass holds is the model's business (REVIEWBOT_MODEL_MAX_BATCH_REQUESTS / _TOKENS, padded tokens).
"""

from typing import ClassVar

from pydantic import Field

from reviewbot.settings import RenamedVariables, StreamSettings, room_config


class WorkerSettings(StreamSettings, RenamedVariables):
    model_config = room_config("REVIEWBOT_WORKER_")

    #: Until 0.2 these were REVIEWBOT_WORKER_MAX_BATCH_REQUESTS / _TOKENS, which read like the
    #: model's forward-pass budgets of the same names but bound something else.
    renamed_from: ClassVar[dict[str, str]] = {
        "read_max_reviews": "REVIEWBOT_WORKER_MAX_BATCH_REQUESTS",
        "read_max_estimated_tokens": "REVIEWBOT_WORKER_MAX_BATCH_TOKENS",
    }

    #: Consumer group every worker joins.
    group: str = "workers"
    #: Stream a review goes to after `max_deliveries` failed attempts, with its error.
    dead_letter_stream: str = "reviewbot:dead"
    #: Approximate length cap of the dead-letter stream (XADD MAXLEN ~): beyond it the oldest
    #: dead letters are dropped, so a flood of bad entries cannot fill Redis's memory.
    dead_letter_maxlen: int = Field(100_000, ge=1)
    #: Most reviews one worker takes from the stream at once. The model splits them into
    #: forward passes (REVIEWBOT_MODEL_MAX_BATCH_*); a large take lets it sort more reviews by
    #: length, so passes pad less: on CPU, taking 1,024 instead of 256 under saturation brought
    #: end-to-end throughput from 0.84 to 0.97 of the direct batched call.
    read_max_reviews: int = Field(1024, ge=1)
    #: Estimated tokens one worker takes from the stream at once (characters / 4 + 2 per review).
    read_max_estimated_tokens: int = Field(32768, ge=1)
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
    #: While Redis or the database stays down, one "still down" log line every this many
    #: seconds (besides one when it goes down and one when it is back).
    outage_log_every_s: float = Field(60.0, gt=0)
    #: Worker processes; 0: per CUDA GPU one per 4 cores of its share, 1 to 4 (pool.py), or 1
    #: without a GPU.
    processes: int = Field(0, ge=0)
    #: Port of /healthz and /metrics (process i of a pool uses port + i); 0 turns them off.
    metrics_port: int = Field(9464, ge=0)
    metrics_host: str = "127.0.0.1"
