"""Starting a worker process."""

import pytest

from worker import runner
from worker.settings import WorkerSettings


def test_a_model_that_fails_to_load_closes_the_store(monkeypatch):
    closed = []

    class Store:
        def close(self):
            closed.append(True)

    def broken_build(*args, **kwargs):
        raise OSError("checkpoint missing")

    monkeypatch.setattr(runner, "open_default_store", Store)
    monkeypatch.setattr(runner, "build_worker", broken_build)
    with pytest.raises(OSError, match="checkpoint missing"):
        runner.run_process(WorkerSettings(metrics_port=0))
    assert closed == [True]


@pytest.mark.parametrize(
    ("gpus", "cores", "expected"),
    [
        (0, 16, 1),  # no GPU: one process, its cores for encoding and torch
        (1, 2, 1),  # a small host: one process per GPU
        (1, 8, 2),
        (1, 16, 4),  # the measured H100 host: 4 processes drained 16.2k reviews/s, 1 did 4.6k
        (1, 64, 4),  # past four per GPU is not measured
        (2, 16, 4),  # each GPU's share of the cores: 8, so 2 each
        (8, 8, 8),  # never fewer than one per GPU
    ],
)
def test_default_processes_follow_gpus_and_cores(gpus, cores, expected):
    from worker.pool import processes_for

    assert processes_for(gpus, cores) == expected
