"""The API in `make demo`: a `python -m api` process beside the worker, on the demo's Redis
and SQLite, stopped with SIGTERM (uvicorn finishes the requests in flight) when the demo ends."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

from api.settings import ApiSettings

START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 10


def page_url(settings: ApiSettings | None = None) -> str:
    settings = settings or ApiSettings()
    host = settings.host if settings.host not in ("0.0.0.0", "::") else "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.port}/"


def start_api(redis_url: str, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ, REVIEWBOT_REDIS_URL=redis_url)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "api"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the demo, which stops this cleanly
        )


def wait_until_up(process: subprocess.Popen, url: str) -> bool:
    """Whether the API answers /healthz within START_TIMEOUT_S (False: it exited or hangs)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urlopen(url + "healthz", timeout=1) as answer:
                if answer.status == 200:
                    return True
        except (URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def stop_api(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
