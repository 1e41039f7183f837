"""Rows/s of the worker's batched history writes (`Store.save_verdicts`) on SQLite and Postgres.

For each database: a history of --history reviews is stored first (the indexes' size matters:
an empty database flatters every write), then batches of --batch-size (256; the worker's
batches reach its read_max_reviews, 1,024) are timed against baselines measured in the same
run: batches of the same shape with random (UUIDv4) review ids, as the front-ends made them
before they made time-ordered UUIDv7s, in a database of its own; and one review per
transaction (what a writer without batching does). Then the same batches again (a
redelivery, all duplicates). Postgres also times as many new batches COPYed as text, right
after the binary ones in the same database (what storage/bulk.py did before its COPY went
binary). With --writers N (4 by default; 0 skips it), N processes then write batches to one
SQLite file at once, pausing --writer-gap-ms between batches as a worker process does while its
other stages run: their total rows/s and every batch's latency, its wait for the write lock
included, with the writers taking turns (storage/write_turns.py) and, as the baseline in the
same run, waiting in SQLite's busy handler as storage/ did before. With --postgres-writers N
(4 by default, a GPU host's worker processes; 0 skips it), N processes write batches back to
back into the Postgres history, against one process doing the same in the same run: each
worker process has a writer of its own, and one Postgres writer is bound by its server
process, so N of them are what a host stores. Prints rows/s, per-batch latency percentiles,
the ratio to the baseline, and the CPU time per row of the writer and of the Postgres server
processes serving it (read from /proc: the server must run on this host for that figure), with
the rate one writer would reach on idle cores (1e6 / core-µs per row): on a shared machine the
measured rate says more about the neighbours than about the code.

    nice python bench/storage_writes.py
    nice python bench/storage_writes.py --batches 40 --history 0 --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import numpy as np
import sqlalchemy
from spawned import results_of

from reviewbot.messages import Label, Language, Prediction, Review, Source, Verdict, new_review_id
from storage import bulk, migrate, open_store
from storage.engine import make_engine

#: Names the bench's Postgres connections, whose server processes' CPU time it reads.
APPLICATION = f"reviewbot_bench_{os.getpid()}"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def make_verdicts(n: int, rng: np.random.Generator, ids: str = "v7") -> list[Verdict]:
    """Verdicts shaped like real traffic: short texts, both languages, a few failures, one
    classification time per batch (as the worker gives them). `ids`: "v7", the front-ends'
    time-ordered ids, or "v4", random ones."""
    verdicts = []
    classified_at = datetime.now(UTC)
    for i in range(n):
        review = Review(
            id=new_review_id() if ids == "v7" else uuid.uuid4().hex,
            text="a film review of average length " * int(rng.integers(1, 8)),
            source=Source.TELEGRAM if i % 3 else Source.DISCORD,
            chat_id=str(rng.integers(1e6)),
            user_id=str(rng.integers(1e5)),
        )
        if i % 50 == 49:
            verdicts.append(Verdict(review=review, error="empty review"))
            continue
        p = round(float(rng.random()), 4)
        prediction = Prediction(
            label=Label.POSITIVE if p >= 0.48 else Label.NEGATIVE,
            p_positive=p,
            threshold=0.48,
            language=Language.EN if i % 4 else Language.ES,
            n_tokens=int(rng.integers(5, 120)),
            truncated=False,
            model_version="bench-v1",
        )
        verdicts.append(
            Verdict(
                review=review,
                prediction=prediction,
                latency_ms=12.0,
                batch_size=256,
                classified_at=classified_at,
            )
        )
    return verdicts


@dataclass
class Run:
    rate: float
    latencies: list[float]
    #: CPU µs per row of this process (the writer) and of the Postgres backends serving it.
    client_us: float
    server_us: float

    def line(self, label: str) -> str:
        cpu = self.client_us + self.server_us
        return (
            f"  {label:<20}{self.rate:9.0f} rows/s  {percentiles(self.latencies)}\n"
            f"  {'':<20}CPU per row: writer {self.client_us:.1f} + server {self.server_us:.1f}"
            f" = {cpu:.1f} core-us  (one writer on idle cores: ~{1e6 / cpu:,.0f} rows/s)"
        )


def server_cpu_s(store) -> float:
    """CPU seconds of the Postgres backends of this bench (same host; 0 for SQLite)."""
    if store.engine.dialect.name != "postgresql":
        return 0.0
    with store.engine.connect() as connection:
        pids = connection.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (APPLICATION,)
        ).scalars()
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # another host: no server figure
                return 0.0
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total


def timed_batches(store, batches: list[list[Verdict]]) -> Run:
    """Rows/s over all batches, each batch's latency in ms, CPU per row (writer, server)."""
    latencies = []
    server = server_cpu_s(store)
    started, cpu = time.perf_counter(), time.process_time()
    for batch in batches:
        t0 = time.perf_counter()
        store.save_verdicts(batch)
        latencies.append((time.perf_counter() - t0) * 1000)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    server = server_cpu_s(store) - server
    rows = sum(map(len, batches))
    return Run(rows / elapsed, latencies, 1e6 * cpu / rows, 1e6 * server / rows)


@contextmanager
def text_copy():
    """COPY as text: without the column types, storage/bulk.py leaves the format to the server."""
    binary = bulk._copy_types
    bulk._copy_types = lambda connection, bulk_table: None
    try:
        yield
    finally:
        bulk._copy_types = binary


def percentiles(latencies: list[float]) -> str:
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    return f"p50 {p50:7.2f} ms  p95 {p95:7.2f} ms  p99 {p99:7.2f} ms"


@contextmanager
def sqlite_database():
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"


@contextmanager
def postgres_database(base_url: str):
    """A schema of its own, dropped afterwards, so the bench leaves the shared database as it was."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sqlalchemy.create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in base_url else "?"
    url = (
        f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}"
        f"&application_name={APPLICATION}"
    )
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def with_history(url: str, ids: str, args, rng):
    """A store on the empty database at `url`, with --history reviews stored (ids: "v7" or
    "v4") and its statement caches warm."""
    store = open_store(url)
    for start in range(0, args.history, args.batch_size):
        store.save_verdicts(make_verdicts(min(args.batch_size, args.history - start), rng, ids))
    store.save_verdicts(make_verdicts(args.batch_size, rng, ids))
    return store


def bench(name: str, urls: dict[str, str], args, rng) -> None:
    """`urls`: one empty database per id scheme ("v7", "v4")."""
    store = with_history(urls["v7"], "v7", args, rng)
    batches = [make_verdicts(args.batch_size, rng) for _ in range(args.batches)]
    batched = timed_batches(store, batches)
    text = None
    if store.engine.dialect.name == "postgresql":
        with text_copy():
            text = timed_batches(
                store, [make_verdicts(args.batch_size, rng) for _ in range(args.batches)]
            )
    redelivered = timed_batches(store, batches)
    single = timed_batches(store, [[v] for v in make_verdicts(args.baseline_rows, rng)])
    store.close()
    store = with_history(urls["v4"], "v4", args, rng)
    random_ids = timed_batches(
        store, [make_verdicts(args.batch_size, rng, "v4") for _ in range(args.batches)]
    )
    store.close()

    size = args.batch_size
    print(
        f"\n{name}: history of {args.history:,} reviews, {args.batches} batches of {size}"
        f" ({args.batches * size} rows), baseline {args.baseline_rows} rows"
    )
    print(batched.line(f"batched {size}"))
    if text is not None:
        print(text.line("  with text COPY"))
    print(random_ids.line("  with UUIDv4 ids"))
    print(redelivered.line(f"redelivered {size}"))
    print(single.line("baseline 1 per txn"))
    print(
        f"  batched / baseline  {batched.rate / single.rate:9.1f} x   "
        f"(median batch {statistics.median(batched.latencies):.1f} ms for {size} rows)\n"
        f"  UUIDv7 / UUIDv4 ids {batched.rate / random_ids.rate:9.1f} x"
    )
    if text is not None:
        print(f"  binary / text COPY  {batched.rate / text.rate:9.2f} x")


def concurrent_writer(url: str, args, seed: int, gap_ms: float, turns: bool, start, results):
    """One of several writer processes: its batches, after the others are ready, `gap_ms` apart."""
    store = open_store(url)
    if not turns:  # the baseline: waits in SQLite's busy handler, as before write_turns.py
        store._turns = None
    rng = np.random.default_rng(seed)
    batches = [make_verdicts(args.batch_size, rng) for _ in range(args.batches)]
    store.save_verdicts(make_verdicts(args.batch_size, rng))  # statement caches warm
    start.wait()
    latencies, started = [], time.perf_counter()
    for batch in batches:
        time.sleep(gap_ms / 1000)
        t0 = time.perf_counter()
        store.save_verdicts(batch)
        latencies.append((time.perf_counter() - t0) * 1000)
    results.put((started, time.perf_counter(), latencies))
    store.close()


def concurrent_writes(
    url: str, writers: int, args, gap_ms: float, turns: bool = True
) -> tuple[float, list[float]]:
    """Total rows/s of `writers` processes writing to one database at once, and their batch
    latencies."""
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(writers + 1), spawn.Queue()
    processes = [
        spawn.Process(
            target=concurrent_writer, args=(url, args, seed, gap_ms, turns, start, results)
        )
        for seed in range(1, writers + 1)
    ]
    for process in processes:
        process.start()
    start.wait()
    runs = results_of(processes, results)
    for process in processes:
        process.join()
    elapsed = max(end for _, end, _ in runs) - min(begin for begin, _, _ in runs)
    latencies = [ms for _, _, run in runs for ms in run]
    return writers * args.batches * args.batch_size / elapsed, latencies


def bench_concurrent_sqlite(args) -> None:
    """--writers processes on one new SQLite file, taking turns, against SQLite's busy handler."""
    rates = {}
    for label, turns in (("busy handler", False), ("taking turns", True)):
        with sqlite_database() as url:
            open_store(url).close()  # created and migrated once, before the writers race for it
            rates[label] = concurrent_writes(url, args.writers, args, args.writer_gap_ms, turns)
    print(
        f"\nSQLite, {args.writers} writer processes at once, {args.batches} batches of"
        f" {args.batch_size} each, {args.writer_gap_ms:g} ms between a writer's batches"
    )
    for label in ("taking turns", "busy handler"):
        rate, latencies = rates[label]
        print(
            f"  {label:<20}{rate:9.0f} rows/s  {percentiles(latencies)}"
            f"  max {max(latencies):7.2f} ms"
        )
    print(f"  turns / busy handler{rates['taking turns'][0] / rates['busy handler'][0]:9.2f} x")


def bench_concurrent_postgres(url: str, args) -> None:
    """--postgres-writers processes writing batches back to back into the database at `url`
    (its history stored), as the store stages of a GPU host's worker processes do when they
    are saturated (one writer each), against one such process in the same run."""
    one = concurrent_writes(url, 1, args, gap_ms=0)
    many = concurrent_writes(url, args.postgres_writers, args, gap_ms=0)
    print(
        f"\nPostgres, writer processes writing at once, {args.batches} batches of"
        f" {args.batch_size} each, back to back"
    )
    for label, (rate, latencies) in (
        (f"{args.postgres_writers} writers", many),
        ("1 writer", one),
    ):
        print(
            f"  {label:<20}{rate:9.0f} rows/s  {percentiles(latencies)}"
            f"  max {max(latencies):7.2f} ms"
        )
    print(f"  {args.postgres_writers} writers / 1{many[0] / one[0]:13.2f} x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument(
        "--history", type=int, default=100_000, help="reviews stored before the timed batches"
    )
    parser.add_argument(
        "--baseline-rows", type=int, default=500, help="reviews written one per transaction"
    )
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES, help="empty string: skip Postgres"
    )
    parser.add_argument(
        "--writers", type=int, default=4, help="SQLite writer processes at once (0: skip)"
    )
    parser.add_argument(
        "--postgres-writers",
        type=int,
        default=4,
        help="Postgres writer processes at once, against one (0: skip)",
    )
    parser.add_argument(
        "--writer-gap-ms",
        type=float,
        default=20.0,
        help="pause between one writer's batches (a worker's other stages)",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    with sqlite_database() as v7, sqlite_database() as v4:
        bench("SQLite (WAL, synchronous=NORMAL)", {"v7": v7, "v4": v4}, args, rng)
    if args.writers:
        bench_concurrent_sqlite(args)
    if args.postgres_url:
        try:
            with (
                postgres_database(args.postgres_url) as v7,
                postgres_database(args.postgres_url) as v4,
            ):
                bench("Postgres", {"v7": v7, "v4": v4}, args, rng)
                if args.postgres_writers:
                    bench_concurrent_postgres(v7, args)
        except sqlalchemy.exc.OperationalError as error:
            print(f"\nPostgres skipped: {error.orig}")


if __name__ == "__main__":
    main()
