"""The results of a bench's spawned processes, without waiting for ever on one that failed."""

import queue
import sys


def results_of(processes, results) -> list:
    """One item from the `results` queue per process of `processes`, in arrival order; exits
    with a message when one of them has ended with an error (its traceback is above) before
    every result came."""
    collected = []
    while len(collected) < len(processes):
        try:
            collected.append(results.get(timeout=1.0))
        except queue.Empty:
            if any(process.exitcode for process in processes):
                sys.exit("a bench process failed (its message is above)")
    return collected
