"""SQLite writers take turns through a file lock (storage/write_turns.py): across processes, among
threads, past a process that died in its turn, and on to SQLite's own lock when a turn is late."""

import multiprocessing
import subprocess
import sys
import threading
import time

from storage import open_store
from storage.write_turns import WriteTurns
from tests.storage.history import verdict

#: A second process that takes a turn on the file named by argv[1], says so, and ends its turn
#: when told to on stdin, or dies in it ("die").
HOLDER = """
import os, sys
from storage.write_turns import WriteTurns
turns = WriteTurns(sys.argv[1], timeout_s=10)
with turns.turn() as held:
    print("held" if held else "missed", flush=True)
    if sys.stdin.readline().strip() == "die":
        os._exit(0)
print("released", flush=True)
"""


def start_holder(database) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


def take_turn_in_thread(turns: WriteTurns) -> tuple[threading.Thread, threading.Event, list]:
    had_it, result = threading.Event(), []

    def writer():
        with turns.turn() as held:
            result.append(held)
            had_it.set()

    thread = threading.Thread(target=writer)
    thread.start()
    return thread, had_it, result


def test_a_writer_waits_for_another_process_turn_then_takes_its_own(tmp_path):
    database = tmp_path / "history.sqlite3"
    holder = start_holder(database)
    turns = WriteTurns(str(database), timeout_s=30)
    try:
        thread, had_it, result = take_turn_in_thread(turns)
        assert not had_it.wait(0.3)  # the other process is in its turn
        holder.stdin.write("release\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        thread.join(timeout=20)
        assert result == [True]  # its own turn, with the file lock: not a timed-out one
        assert turns.missed == 0
    finally:
        holder.kill()
        holder.wait()
        turns.close()


def test_a_process_that_dies_in_its_turn_leaves_the_turn_free(tmp_path):
    database = tmp_path / "history.sqlite3"
    holder = start_holder(database)
    turns = WriteTurns(str(database), timeout_s=30)
    try:
        holder.stdin.write("die\n")
        holder.stdin.flush()
        assert holder.wait(timeout=20) == 0
        with turns.turn() as held:
            assert held
    finally:
        turns.close()


def test_a_turn_not_had_in_time_goes_on_to_sqlites_own_lock(tmp_path):
    database = str(tmp_path / "history.sqlite3")
    first, late = WriteTurns(database, timeout_s=10), WriteTurns(database, timeout_s=0.05)
    try:
        with first.turn() as held_first:
            assert held_first
            started = time.monotonic()
            with late.turn() as held_late:
                assert not held_late
            assert time.monotonic() - started >= 0.05
        assert late.missed == 1
        with late.turn() as held_late:  # free again
            assert held_late
    finally:
        first.close()
        late.close()


def test_threads_of_one_process_take_turns_one_at_a_time(tmp_path):
    turns = WriteTurns(str(tmp_path / "history.sqlite3"), timeout_s=30)
    inside, most_inside, lock = [0], [0], threading.Lock()

    def writer():
        for _ in range(30):
            with turns.turn():
                with lock:
                    inside[0] += 1
                    most_inside[0] = max(most_inside[0], inside[0])
                time.sleep(0.001)
                with lock:
                    inside[0] -= 1

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    turns.close()
    assert most_inside[0] == 1
    assert turns.missed == 0


def _hold_turn_in_forked_child(turns: WriteTurns, results, release) -> None:
    with turns.turn() as held:
        results.put(held)
        release.wait(20)


def test_a_forked_child_does_not_share_its_parents_turn(tmp_path):
    # RQ forks a work horse per job: the child must open the lock file again, since a flock
    # belongs to the open file and a shared one would let parent and child write at once.
    turns = WriteTurns(str(tmp_path / "history.sqlite3"), timeout_s=0.2)
    with turns.turn() as held:  # the parent has the lock file open before the fork
        assert held
    fork = multiprocessing.get_context("fork")
    results, release = fork.Queue(), fork.Event()
    child = fork.Process(target=_hold_turn_in_forked_child, args=(turns, results, release))
    child.start()
    try:
        assert results.get(timeout=20) is True  # the child's turn
        with turns.turn() as held:
            assert not held  # not the parent's too
    finally:
        release.set()
        child.join(timeout=20)
        turns.close()


def _write_batches(url: str, batches: int) -> None:
    store = open_store(url)
    for _ in range(batches):
        store.save_verdicts([verdict(0.8) for _ in range(40)])
    assert store._turns.missed == 0
    store.close()


def test_worker_processes_writing_one_sqlite_file_lose_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'history.sqlite3'}"
    open_store(url).close()
    spawn = multiprocessing.get_context("spawn")
    writers = [spawn.Process(target=_write_batches, args=(url, 10)) for _ in range(3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
        assert writer.exitcode == 0
    with open_store(url) as store, store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM reviews").scalar() == 3 * 10 * 40
        assert connection.exec_driver_sql("SELECT count(*) FROM predictions").scalar() == 1200
