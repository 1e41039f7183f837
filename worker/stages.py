"""What each stage of the worker costs: CPU time (of the thread doing it) and busy wall time.

Every batch adds to two Prometheus counters per stage, so an operator (and
bench/worker_throughput.py) reads where the cores go without a profiler:

- `reviewbot_stage_cpu_seconds_total{stage}`: CPU seconds the stage's threads used (thread CPU
  clocks, so a stage that waits on Redis or the GPU costs nothing while it waits);
- `reviewbot_stage_busy_seconds_total{stage}`: wall seconds the stage was at work; divided by
  the elapsed time, the share of wall time it occupies (near 1: that stage is the bottleneck).

Stages (STAGES): `read` (XREADGROUP, Review JSON parse, validation), `clean`, `tokenize` and
`language` (measured inside `Classifier.encode`, whatever threads it fans out to), `forward`
(the model and the predictions), `store` (the history write), `finish` (the answer script, with
the verdicts' JSON). Thread CPU clocks cost ~0.5 µs a read: two per stage and batch.
"""

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from prometheus_client import Counter

STAGES = ("read", "clean", "tokenize", "language", "forward", "store", "finish")

STAGE_CPU = Counter(
    "reviewbot_stage_cpu_seconds", "CPU seconds spent in each worker stage", ["stage"]
)
STAGE_BUSY = Counter(
    "reviewbot_stage_busy_seconds", "Wall seconds each worker stage was at work", ["stage"]
)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Count the CPU time of this thread and the wall time of the block under `name`."""
    cpu, wall = time.thread_time(), time.perf_counter()
    try:
        yield
    finally:
        STAGE_CPU.labels(name).inc(max(0.0, time.thread_time() - cpu))
        STAGE_BUSY.labels(name).inc(max(0.0, time.perf_counter() - wall))


def add(cpu_s: Mapping[str, float], wall_s: Mapping[str, float]) -> None:
    """Add costs measured elsewhere (the model's encode reports its own, per sub-stage)."""
    for name, seconds in cpu_s.items():
        STAGE_CPU.labels(name).inc(max(0.0, seconds))
    for name, seconds in wall_s.items():
        STAGE_BUSY.labels(name).inc(max(0.0, seconds))
