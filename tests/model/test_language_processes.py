"""lingua's share of language detection in processes of its own (model/language_processes.py):
the same answers as in the worker's threads, its CPU time counted, and a pool that dies or
loses its worker neither loses an answer nor outlives the worker."""

import logging
import os
import signal
import subprocess
import sys

import pytest
from transformers import AutoTokenizer

from model.encoding import MIN_CHUNK, Encoder
from model.language import detect_languages, lingua_languages
from model.language_processes import LanguageProcesses
from reviewbot.messages import Language
from tests.waiting import running, wait_until

#: Texts the function words leave to lingua, and some they settle.
UNDECIDED = [
    "Un film magnifique, les acteurs sont formidables.",
    "Que filme lindo",
    "Отличный фильм, всем советую",
    "😀😀🎬🍿",
    "meh",
    "Great cast",
    "Buenísima",
]
MIXED = UNDECIDED + [
    "The plot is thin but the performances are charming",
    "Una película maravillosa, la recomiendo a todos mis amigos.",
]


@pytest.fixture
def processes():
    pool = LanguageProcesses(1)
    yield pool
    pool.close()


def test_the_processes_answer_as_the_worker_threads_would(processes):
    languages, cpu_s = processes.detect(UNDECIDED)
    assert languages == lingua_languages(UNDECIDED)
    assert Language.OTHER in languages
    assert cpu_s > 0  # the pool process's own CPU time, for the stage table
    via_processes = detect_languages(MIXED, lambda rest: processes.detect(rest)[0])
    assert via_processes == detect_languages(MIXED)


def test_a_killed_pool_process_costs_no_answer(processes, caplog):
    processes.warm_up()
    for pid in list(processes._pool._processes):
        os.kill(pid, signal.SIGKILL)
    with caplog.at_level(logging.ERROR, logger="model.language_processes"):
        languages, _ = processes.detect(UNDECIDED)  # in this thread from now on
        again, _ = processes.detect(UNDECIDED)
    assert languages == again == lingua_languages(UNDECIDED)
    assert processes._pool is None
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "own threads" in errors[0].getMessage()


def test_warm_up_starts_every_process_before_the_first_review():
    # The pool starts processes on demand; one loading its models during the first reviews
    # slowed them (light-load p50 4.7 -> 8.5 ms with two processes on 2 cores).
    processes = LanguageProcesses(2)
    try:
        processes.warm_up()
        started = list(processes._pool._processes)
        assert len(started) == 2
        languages, _ = processes.detect(UNDECIDED)
        assert languages == lingua_languages(UNDECIDED)
        assert list(processes._pool._processes) == started  # none started late
    finally:
        processes.close()


#: A worker stand-in: starts the processes, prints their pids, waits to be killed.
WORKER = """
import time
from model.language_processes import LanguageProcesses
if __name__ == "__main__":
    processes = LanguageProcesses(1)
    processes.warm_up()
    print(" ".join(map(str, processes._pool._processes)), flush=True)
    time.sleep(120)
"""


def test_the_processes_leave_when_their_worker_is_killed(tmp_path):
    script = tmp_path / "worker_stand_in.py"
    script.write_text(WORKER)
    worker = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(pid) for pid in worker.stdout.readline().split()]
    finally:
        worker.kill()  # SIGKILL: no shutdown of the pool
        worker.wait()
    assert pids
    # Times out if a language process outlives its worker.
    wait_until(lambda: not any(running(pid) for pid in pids), timeout=30)


def test_an_encoder_with_language_processes_encodes_as_one_without(tiny_checkpoint):
    tokenizer = AutoTokenizer.from_pretrained(tiny_checkpoint)
    texts = [f"{text} {i}" for i in range(MIN_CHUNK) for text in MIXED]
    plain = Encoder(tokenizer, max_length=64, threads=2)
    pooled = Encoder(tokenizer, max_length=64, threads=2, language_processes=1)
    try:
        pooled.warm_up()
        expected, got = plain.encode(texts), pooled.encode(texts)
    finally:
        plain.close()
        pooled.close()
    assert got.languages == expected.languages
    assert got.ids == expected.ids
    assert got.cpu_s["language"] > 0
