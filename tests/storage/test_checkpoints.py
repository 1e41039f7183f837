"""SQLite's write-ahead log is copied into the database file by the Store's checkpoint thread,
not inside the worker's commits (storage/checkpoints.py)."""

import shutil
import sqlite3
import threading
import time

from reviewbot.messages import Source
from storage import open_store
from storage.checkpoints import WRITER_CHECKPOINT_PAGES
from tests.storage.history import verdict
from tests.waiting import wait_until


def checkpoint_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "sqlite-checkpoints"]


def test_batches_reach_the_database_file_through_the_checkpoint_thread(tmp_path):
    path = tmp_path / "history.sqlite3"
    store = open_store(f"sqlite:///{path}")
    try:
        with store.engine.connect() as connection:
            mark = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
        assert mark == WRITER_CHECKPOINT_PAGES  # the commits themselves leave the log alone
        assert store._checkpoints.runs == 0
        sent = []
        for _ in range(20):
            batch = [verdict(0.8) for _ in range(50)]
            store.save_verdicts(batch)
            sent += batch
        wait_until(lambda: store._checkpoints.runs >= 1, timeout=10.0)
        # Once the thread has caught up, every page of the log is in the file: a copy of the
        # file alone, without its log, holds every review (taken while the store is open: the
        # last connection to close would checkpoint by itself).
        wait_until(lambda: store._checkpoints.last is not None and _caught_up(store), timeout=10.0)
        alone = tmp_path / "alone.sqlite3"
        shutil.copyfile(path, alone)
    finally:
        store.close()
    assert not checkpoint_threads()
    with sqlite3.connect(alone) as connection:
        assert connection.execute("SELECT count(*) FROM reviews").fetchone()[0] == len(sent)
        assert connection.execute("SELECT count(*) FROM predictions").fetchone()[0] == len(sent)


def _caught_up(store) -> bool:
    store._checkpoints.written()  # another pass, in case the last one ran before the last commit
    time.sleep(0.3)
    busy, log_pages, copied = store._checkpoints.last
    return busy == 0 and log_pages == copied


def test_a_store_that_never_wrote_starts_no_thread_and_close_stops_it(tmp_path):
    before = len(checkpoint_threads())
    store = open_store(f"sqlite:///{tmp_path / 'history.sqlite3'}")
    assert not store.is_opted_out(Source.TELEGRAM, "1")  # reading: nothing to checkpoint
    assert len(checkpoint_threads()) == before
    store.save_verdicts([verdict(0.3)])
    assert len(checkpoint_threads()) == before + 1
    store.close()
    assert len(checkpoint_threads()) == before
