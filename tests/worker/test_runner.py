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
