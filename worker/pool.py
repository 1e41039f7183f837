"""`reviewbot worker --processes N`: N worker processes on this host; by default up to four per
GPU (one per four cores), one without a GPU.

Each process loads the model once and joins the consumer group under its own name. The
parent only supervises: it forwards SIGTERM/SIGINT (each child finishes its batch and acks),
and restarts a child that died (its unacked reviews are reclaimed by the others meanwhile).
Processes are spawned, not forked, so CUDA initializes cleanly in each.
"""

import logging
import multiprocessing
import os
import signal
import threading
import time

from model import ModelSettings
from worker.settings import WorkerSettings

log = logging.getLogger(__name__)

#: A child that dies sooner than this after its start is not restarted in a loop.
MIN_LIFETIME_S = 30.0


#: Worker processes sharing one GPU by default, and the host cores each one needs. One process
#: is bound by its GIL near 1 core: on an H100 host (16 cores), one process per GPU served
#: 4.9k reviews/s end to end; four, each with a quarter of the cores for its encoding threads,
#: drained a backlog at 16.2k with a light-load p99 of 9 ms; eight at 18.4k, but with a p99 of
#: 185 ms, eight CUDA contexts time-slicing the GPU (docs/worker.md, "Measured on an H100").
MAX_PROCESSES_PER_GPU = 4
CORES_PER_PROCESS = 4


def processes_for(gpus: int, cores: int) -> int:
    """Worker processes for a host with `gpus` GPUs and `cores` cores: one without a GPU, else
    one per CORES_PER_PROCESS cores of each GPU's share, from 1 to MAX_PROCESSES_PER_GPU per GPU."""
    if gpus < 1:
        return 1
    per_gpu = min(MAX_PROCESSES_PER_GPU, max(1, cores // gpus // CORES_PER_PROCESS))
    return gpus * per_gpu


def default_processes(settings: WorkerSettings, model_settings: ModelSettings) -> int:
    if settings.processes:
        return settings.processes
    import torch

    if model_settings.device in ("auto", "cuda") and torch.cuda.is_available():
        return processes_for(torch.cuda.device_count(), os.cpu_count() or 1)
    return 1


def device_for(index: int, model_settings: ModelSettings) -> str:
    """Spread processes over the GPUs: process i uses cuda:(i mod GPUs)."""
    import torch

    if model_settings.device in ("auto", "cuda") and torch.cuda.is_available():
        return f"cuda:{index % torch.cuda.device_count()}"
    return model_settings.device


def cpu_threads_for(processes: int, model_settings: ModelSettings) -> int:
    """Torch threads per process when not configured: the host's cores shared among the
    processes, less one per process for its tokenizing stage. Oversubscribed, torch's spinning
    thread pool slows down badly (measured here: one review on the e5-small checkpoint took
    800 ms with 2 threads on a busy 2-core machine, 36 ms with 1). Unused on a GPU."""
    if model_settings.cpu_threads:
        return model_settings.cpu_threads
    return max(1, (os.cpu_count() or 1) // processes - 1)


def encode_threads_for(processes: int, model_settings: ModelSettings) -> int:
    """Encoding threads per process when not configured: the host's cores shared among the
    processes (several processes per GPU are how a host gets past one process's GIL-bound
    share of the work: docs/worker.md, "Performance")."""
    if model_settings.encode_threads:
        return model_settings.encode_threads
    from model.encoding import MAX_AUTO_THREADS

    return max(1, min(MAX_AUTO_THREADS, (os.cpu_count() or 1) // processes))


def _child(
    index: int, settings: WorkerSettings, model_settings: ModelSettings, with_store: bool
) -> None:
    import logging as child_logging

    from reviewbot.settings import CommonSettings
    from worker.runner import run_process

    child_logging.basicConfig(
        level=CommonSettings().log_level.upper(),
        format=f"%(asctime)s %(levelname)s worker[{index}] %(name)s: %(message)s",
    )
    run_process(settings, model_settings, index, with_store, pooled=True)


def run_pool(
    processes: int, settings: WorkerSettings, model_settings: ModelSettings, with_store: bool = True
) -> int:
    """Serve with `processes` worker processes until SIGTERM/SIGINT; the exit status."""
    from worker.runner import run_process

    if processes <= 1:
        threads = cpu_threads_for(1, model_settings)
        run_process(
            settings, model_settings.model_copy(update={"cpu_threads": threads}), 0, with_store
        )
        return 0
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()

    def start(index: int):
        child_settings = model_settings.model_copy(
            update={
                "device": device_for(index, model_settings),
                "cpu_threads": cpu_threads_for(processes, model_settings),
                "encode_threads": encode_threads_for(processes, model_settings),
            }
        )
        process = context.Process(
            target=_child,
            args=(index, settings, child_settings, with_store),
            name=f"worker-{index}",
        )
        process.start()
        return process, time.monotonic()

    def forward(signum: int, _frame: object) -> None:
        stop.set()
        for process, _ in children:
            if process.is_alive():
                process.terminate()  # SIGTERM: the child finishes its batch, acks and exits

    children = [start(index) for index in range(processes)]
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while not stop.wait(1.0):
        for index, (process, started) in enumerate(children):
            if process.is_alive():
                continue
            lived = time.monotonic() - started
            log.error("worker %d exited with %s after %.0f s", index, process.exitcode, lived)
            if lived < MIN_LIFETIME_S:
                stop.set()
                forward(signal.SIGTERM, None)
                break
            children[index] = start(index)
    for process, _ in children:
        process.join()
    return max((abs(process.exitcode or 0) for process, _ in children), default=0)
