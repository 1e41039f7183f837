"""The whole deployment for real: a private dockerd, images built from the Dockerfile on a local
Debian base and a host wheelhouse, `docker compose up -d --wait` of docker-compose.yml with the
CPU and CI overrides, then reviews answered and stored in the compose Postgres, a Redis restart
and a `kill -9` of the worker that lose nothing, `down -v`, and the daemon stopped by its pid.

Runs where a Docker daemon can (root, `dockerd` and `debootstrap` installed: `.ci/run` installs
them); elsewhere it is skipped, except under CI=true where that is an error. The phases' times
and the image sizes are written to $REVIEWBOT_CI_CACHE/compose-report.json.

Front-ends: each is checked once its command exists (`reviewbot api` -> the `api` profile is
started and a review goes through POST /v1/reviews; `reviewbot telegram` / `reviewbot discord`
-> their profiles are started against the bot tests' fake Telegram Bot API and fake Discord,
served on 127.0.0.1 by this process, and a review goes through each).
"""

import asyncio
import fcntl
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.deploy import images
from tests.deploy.daemon import Daemon, compose_binary, missing_tools, start, stop
from tests.ports import free_port

REPO = Path(__file__).resolve().parents[2]
FILES = [REPO / "docker-compose.yml", REPO / "docker" / "compose.cpu.yml"]
CI_OVERRIDE = Path(__file__).parent / "compose.ci.yml"
PROJECT = "reviewbot-ci"
IMAGE_PREFIX = "reviewbot-ci"
IN_CI = os.environ.get("CI") == "true"

# Setup (build + up) and the checks share one module-scoped stack: the first test pays for it
# (a clean machine under load: ~12 min of debootstrap, pip and builds).
pytestmark = pytest.mark.timeout(1500)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"the compose test must run under CI=true but {reason}")
    pytest.skip(reason)


def _cli_commands() -> set[str]:
    """Top-level `reviewbot` commands and groups, to start only the front-ends that exist."""
    from reviewbot.cli import app

    names = {command.name or command.callback.__name__ for command in app.registered_commands}
    return names | {group.name for group in app.registered_groups}


@dataclass
class Stack:
    daemon: Daemon
    env: dict[str, str]
    redis_url: str
    database_url: str
    profiles: list[str]
    fakes: "Fakes"
    timings: dict[str, float] = field(default_factory=dict)
    report: dict = field(default_factory=dict)
    down: bool = False

    def compose(self, *args: str, timeout: float = 600, check: bool = True):
        files = [arg for path in [*FILES, CI_OVERRIDE] for arg in ("-f", str(path))]
        profiles = [arg for profile in self.profiles for arg in ("--profile", profile)]
        result = subprocess.run(
            [str(compose_binary()), "--project-directory", str(REPO), "-p", PROJECT,
             *files, *profiles, *args],
            env=self.env, capture_output=True, text=True, timeout=timeout, cwd=REPO, check=False,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(
                f"docker compose {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}\n{self.diagnostics()}"
            )
        return result

    def diagnostics(self) -> str:
        """What the containers said: for the message of a failed step."""
        files = [arg for path in [*FILES, CI_OVERRIDE] for arg in ("-f", str(path))]
        base = [str(compose_binary()), "--project-directory", str(REPO), "-p", PROJECT, *files]
        try:
            ps = subprocess.run([*base, "ps", "-a"], env=self.env, capture_output=True,
                                text=True, timeout=60, cwd=REPO, check=False).stdout  # fmt: skip
            logs = subprocess.run([*base, "logs", "--no-color", "--tail", "25"], env=self.env,
                                  capture_output=True, text=True, timeout=60, cwd=REPO,
                                  check=False).stdout  # fmt: skip
        except subprocess.TimeoutExpired:
            return "(no diagnostics: compose did not answer)"
        return f"--- ps\n{ps}\n--- logs\n{logs[-6000:]}"

    def container(self, service: str) -> str:
        ids = self.compose("ps", "-q", service).stdout.split()
        assert ids, f"no {service} container\n{self.diagnostics()}"
        return ids[0]

    def inspect(self, container: str) -> dict:
        return json.loads(self.daemon.docker("inspect", container).stdout)[0]


#: A token shaped like a real one, for the fake Telegram (the bots' containers get it from here).
TELEGRAM_TOKEN = "4839574812:AAHcomposeCItoken_only-for-the-fake"


class Fakes:
    """The bot tests' fake Telegram Bot API and fake Discord (REST + gateway), served on
    127.0.0.1 by an event loop in a thread of this process, for the bots' containers (host
    network) to talk to. Everything that touches them runs in that loop (`run`)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fakes", daemon=True)
        self.thread.start()
        self.telegram = None
        self.discord = None
        self.discord_channel = 0

    def run(self, coroutine: Coroutine, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def call(self, function, *args, **kwargs) -> Any:
        """`function(*args, **kwargs)` in the fakes' loop (their methods expect to be there)."""

        async def call():
            return function(*args, **kwargs)

        return self.run(call())

    async def _start(self) -> None:
        from tests.bots.discord.fake_discord import FakeDiscord
        from tests.bots.telegram.fake_bot_api import FakeBotApi

        self.telegram = FakeBotApi(TELEGRAM_TOKEN)
        await self.telegram.start()
        self.discord = await FakeDiscord().start()
        self.discord_channel = self.discord.channels(self.discord.add_guild())[0]

    async def _stop(self) -> None:
        for fake in (self.discord, self.telegram):
            if fake is not None:
                await fake.stop()

    def start(self) -> "Fakes":
        self.run(self._start())
        return self

    def stop(self) -> None:
        try:
            self.run(self._stop(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(30)
            if not self.thread.is_alive():
                self.loop.close()

    def env(self) -> dict[str, str]:
        """The bots' settings that point them at the fakes."""
        from tests.bots.discord.fake_discord import TOKEN as DISCORD_TOKEN

        return {
            "REVIEWBOT_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
            "REVIEWBOT_TELEGRAM_API_BASE_URL": self.telegram.base_url,
            # Short long polls: `compose down` stops the bot without waiting out a 25 s one.
            "REVIEWBOT_TELEGRAM_POLL_TIMEOUT_S": "2",
            "REVIEWBOT_DISCORD_TOKEN": DISCORD_TOKEN,
            "REVIEWBOT_DISCORD_API_BASE_URL": self.discord.api_base_url,
            "REVIEWBOT_DISCORD_GATEWAY_URL": self.discord.gateway_url,
            "REVIEWBOT_DISCORD_WATCHED_CHANNELS": str(self.discord_channel),
        }


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    """Started before the stack (the bots connect as soon as they start), stopped after it."""
    fakes = Fakes()
    try:
        yield fakes.start()
    finally:
        fakes.stop()


@pytest.fixture(scope="module")
def docker_daemon() -> Iterator[Daemon]:
    """A private dockerd; its data root is kept in the cache folder between runs
    (REVIEWBOT_CI_KEEP_DOCKER_DATA=0: a temporary one, deleted at the end)."""
    if os.geteuid() != 0:
        _unavailable("dockerd needs root")
    if missing := missing_tools():
        _unavailable(f"{', '.join(missing)} missing (apt-get install docker.io debootstrap)")
    keep = os.environ.get("REVIEWBOT_CI_KEEP_DOCKER_DATA", "1") != "0"
    root = Path(tempfile.mkdtemp(prefix="rb-dockerd-", dir="/tmp"))  # short: socket paths
    data_root = images.cache_dir() / "docker-data" if keep else root / "data"
    # One test run at a time per data root (a second one waits here).
    with (images.cache_dir() / "docker-data.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            daemon = start(root, data_root)
        except RuntimeError as exc:
            shutil.rmtree(root, ignore_errors=True)
            _unavailable(f"dockerd could not be started: {exc}")
        try:
            yield daemon
        finally:
            if keep:  # what this run's builds superseded
                daemon.docker("image", "prune", "-f", check=False)
                daemon.docker("builder", "prune", "-f", "--keep-storage", "8GB", check=False)
            stop(daemon, keep_data=keep)
            assert not root.exists(), f"{root} left behind"


@pytest.fixture(scope="module")
def stack(docker_daemon: Daemon, fakes: Fakes) -> Iterator[Stack]:
    from model.tiny import build_tiny_checkpoint

    started = time.monotonic()
    timings: dict[str, float] = {}

    def phase(name: str, since: float) -> float:
        now = time.monotonic()
        timings[name] = round(now - since, 1)
        return now

    wheel_links: list[Path] = []
    checkpoint_root = Path(tempfile.mkdtemp(prefix="rb-ci-checkpoint-"))
    ports = {name: free_port() for name in ("redis", "postgres", "metrics", "api")}
    redis_url = f"redis://127.0.0.1:{ports['redis']}/0"
    database_url = f"postgresql+psycopg://reviewbot@127.0.0.1:{ports['postgres']}/reviewbot"
    commands = _cli_commands()
    profiles = [name for name in ("api", "telegram", "discord") if name in commands]
    outer = {k: v for k, v in os.environ.items() if not k.startswith(("REVIEWBOT_", "COMPOSE_"))}
    stack = Stack(
        docker_daemon,
        {
            **outer,
            **docker_daemon.env,
            "CI_REDIS_PORT": str(ports["redis"]),
            "CI_POSTGRES_PORT": str(ports["postgres"]),
            "CI_WORKER_METRICS_PORT": str(ports["metrics"]),
            "CI_API_PORT": str(ports["api"]),
            "CI_CHECKPOINT": str(checkpoint_root / "tiny"),
            "POSTGRES_PASSWORD": "ci-only",
            "REVIEWBOT_REDIS_URL": redis_url,
            "REVIEWBOT_DATABASE_URL": database_url,
            "REVIEWBOT_IMAGE_PREFIX": IMAGE_PREFIX,
            "REVIEWBOT_PIP_OPTIONS": "--no-index --find-links /wheelhouse",
            **fakes.env(),
        },
        redis_url,
        database_url,
        profiles,
        fakes,
        timings,
    )
    try:
        build_tiny_checkpoint(checkpoint_root / "tiny", threshold=0.5)
        # Readable by the containers' user (uid 10001): mkdtemp makes 0700 folders and
        # safetensors writes 0600 files.
        for path in [checkpoint_root, *checkpoint_root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        mark = phase("tiny checkpoint", started)

        base_tar, services_tar = images.rootfs_tarballs()
        mark = phase("base images (debootstrap or cache)", mark)
        key = base_tar.stem.split("-", 1)[1]
        for tarball, name in (
            (base_tar, "reviewbot-ci-base"),
            (services_tar, "reviewbot-ci-services"),
        ):
            # The kept data root may have it already: importing again would orphan the old copy.
            if docker_daemon.docker("image", "inspect", f"{name}:{key}", check=False).returncode:
                docker_daemon.docker("import", str(tarball), f"{name}:{key}")
        stack.env["REVIEWBOT_BASE_IMAGE"] = f"reviewbot-ci-base:{key}"
        stack.env["CI_SERVICES_IMAGE"] = f"reviewbot-ci-services:{key}"
        mark = phase("docker import", mark)

        python_version = docker_daemon.docker(
            "run", "--rm", "--network", "none", stack.env["REVIEWBOT_BASE_IMAGE"],
            "python3", "-c", "import platform; print(platform.python_version())",
        ).stdout.strip()  # fmt: skip
        wheels = images.wheelhouse(REPO, python_version)
        wheel_links = images.link_wheels(wheels, REPO / "docker" / "wheelhouse")
        mark = phase("wheelhouse (pip wheel or cache)", mark)

        stack.compose("build", timeout=800)
        mark = phase("compose build", mark)

        # A run that was killed may have left its stack (the data root is kept): start clean.
        stack.compose("down", "-v", "--remove-orphans", "--timeout", "5")
        stack.compose("up", "-d", "--wait", "--wait-timeout", "300", timeout=400)
        phase("compose up --wait", mark)
        stack.report["images"] = {
            line.split()[0]: line.split()[1]
            for line in docker_daemon.docker(
                "image", "ls", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}"
            ).stdout.splitlines()
        }
        yield stack
    finally:
        mark = time.monotonic()
        if not stack.down:
            stack.compose("down", "-v", "--remove-orphans", "--timeout", "20", check=False)
            phase("compose down -v", mark)
        for link in wheel_links:
            link.unlink(missing_ok=True)
        shutil.rmtree(checkpoint_root, ignore_errors=True)
        timings["total"] = round(time.monotonic() - started, 1)
        report = {"timings_s": timings, **stack.report}
        (images.cache_dir() / "compose-report.json").write_text(json.dumps(report, indent=2))
        print(f"\ncompose test: {json.dumps(report)}")


# -- helpers on the host side: the project's own client and the compose Postgres --------------
def _client(stack: Stack):
    import redis

    from frontend.client import ReviewClient
    from reviewbot.settings import StreamSettings

    return ReviewClient(redis.Redis.from_url(stack.redis_url, decode_responses=True),
                        StreamSettings())  # fmt: skip


def _stored(stack: Stack, ids: list[str], timeout_s: float = 60) -> dict[str, int]:
    """review id -> predictions stored for it, once every id has its review row (or timeout)."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(stack.database_url)
    query = sqlalchemy.text(
        "SELECT r.id, count(p.review_id) FROM reviews r"
        " LEFT JOIN predictions p ON p.review_id = r.id"
        " WHERE r.id = ANY(:ids) GROUP BY r.id"
    )
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            with engine.connect() as connection:
                rows = dict(connection.execute(query, {"ids": ids}).all())
            if len(rows) == len(ids) or time.monotonic() > deadline:
                return rows
            time.sleep(0.5)
    finally:
        engine.dispose()


def _wait_healthy(stack: Stack, service: str, timeout_s: float = 120) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = stack.inspect(stack.container(service))["State"]
        if state.get("Health", {}).get("Status") == "healthy":
            return state
        time.sleep(0.5)
    raise AssertionError(f"{service} not healthy within {timeout_s:g} s\n{stack.diagnostics()}")


def _review(text: str):
    from reviewbot.messages import Review, Source

    return Review(text=text, source=Source.API, user_id="compose-ci")


# -- the checks ----------------------------------------------------------------------------------
def test_a_review_through_redis_is_answered_and_stored_in_the_compose_postgres(stack: Stack):
    client = _client(stack)
    try:
        verdict = client.classify(_review("A wonderful film, I loved every minute."), timeout=60)
    finally:
        client.close()
    assert verdict.ok and verdict.prediction is not None, verdict
    assert _stored(stack, [verdict.review.id]) == {verdict.review.id: 1}


def test_the_services_run_as_a_non_root_user(stack: Stack):
    for service in ("worker", "jobs", "cron"):
        uid = stack.compose("exec", "-T", service, "id", "-u").stdout.strip()
        assert uid == "10001", f"{service} runs as uid {uid}"


def test_the_slim_image_has_no_torch_once_the_dependency_groups_exist(stack: Stack):
    import tomllib

    groups = tomllib.loads((REPO / "pyproject.toml").read_text())["project"].get(
        "optional-dependencies", {}
    )
    if "worker" not in groups:
        pytest.skip("pyproject has no `worker` group yet: the base install still pulls torch")
    result = stack.daemon.docker(
        "run", "--rm", "--network", "host", "--entrypoint", "python",
        f"{IMAGE_PREFIX}-slim:latest", "-c", "import torch", check=False,
    )  # fmt: skip
    assert result.returncode != 0 and "No module named 'torch'" in result.stderr


def test_a_review_through_the_api_is_answered_and_stored(stack: Stack):
    if "api" not in stack.profiles:
        pytest.skip("no `reviewbot api` command yet: its compose service is checked once it exists")
    import urllib.request

    text = f"Una película preciosa, la recomiendo. ({time.time_ns()})"
    request = urllib.request.Request(
        f"http://127.0.0.1:{stack.env['CI_API_PORT']}/v1/reviews",
        data=json.dumps({"text": text, "wait_s": 30}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        answer = json.loads(response.read())
    # VerdictOut: the verdict itself, not a 202 "pending".
    assert answer.get("status") == "done" and answer.get("label") in ("positive", "negative"), (
        answer
    )
    import sqlalchemy

    engine = sqlalchemy.create_engine(stack.database_url)
    try:
        deadline = time.monotonic() + 30
        while True:
            with engine.connect() as connection:
                ids = connection.execute(
                    sqlalchemy.text("SELECT id FROM reviews WHERE text = :t"), {"t": text}
                ).all()
            if ids or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    finally:
        engine.dispose()
    assert len(ids) == 1
    assert _stored(stack, [ids[0][0]]) == {ids[0][0]: 1}


def _until(condition, timeout_s: float, what: str, stack: Stack) -> Any:
    """Poll `condition()` until it is truthy; fail with the containers' logs after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s:g} s\n{stack.diagnostics()}")
        time.sleep(0.2)
    return value


def _replies_settled(stack: Stack, stream: str, timeout_s: float = 60) -> None:
    """Until the bot's reply stream is empty: every reply was sent, acked and deleted, so
    none can be sent again (the "exactly one" below is then final)."""
    import redis

    client = redis.Redis.from_url(stack.redis_url)
    try:
        _until(lambda: client.xlen(stream) == 0, timeout_s, f"{stream} emptied", stack)
    finally:
        client.close()


def test_a_review_through_the_fake_telegram_is_answered_once_and_stored(stack: Stack):
    if "telegram" not in stack.profiles:
        pytest.skip("no `reviewbot telegram` command: its compose service is not started")
    from tests.bots.telegram.fake_bot_api import Person

    fake = stack.fakes.telegram
    # The container reached the fake on 127.0.0.1 and polls it.
    _until(lambda: stack.fakes.call(fake.called, "getUpdates"), 180, "getUpdates", stack)
    message = stack.fakes.call(
        fake.message, Person(5001, "Compose", "en"), "/review A wonderful film, I loved it all."
    )
    answer = stack.fakes.run(fake.answer_to(message, timeout=120), timeout=130)
    assert answer.text.strip()
    _replies_settled(stack, "reviewbot:replies:telegram")
    answers = stack.fakes.call(fake.answers_to, message)
    assert len(answers) == 1, [a.text for a in answers]
    assert len(stack.fakes.call(list, fake.sent)) == 1  # nothing else was sent either
    review_id = f"telegram:{message['chat']['id']}:{message['message_id']}"
    assert _stored(stack, [review_id]) == {review_id: 1}


def test_a_review_in_a_watched_discord_channel_gets_one_reaction_and_is_stored(stack: Stack):
    if "discord" not in stack.profiles:
        pytest.skip("no `reviewbot discord` command: its compose service is not started")
    fake, channel = stack.fakes.discord, stack.fakes.discord_channel
    # The container identified on the fake gateway (after loading its watched channels).
    _until(lambda: fake.identifies >= 1 and fake.sockets, 180, "gateway identify", stack)
    message = stack.fakes.run(
        fake.post(channel, 101, "An absolutely wonderful film, the acting was superb and moving.")
    )
    stack.fakes.run(fake.wait_until(lambda: fake.puts_on(channel, message), 120), timeout=130)
    _replies_settled(stack, "reviewbot:replies:discord")
    puts = stack.fakes.call(fake.puts_on, channel, message)
    assert len(puts) == 1 and puts[0] in {"👍", "👎", "🤔"}, puts
    review_id = f"discord:{channel}:{message}"
    assert _stored(stack, [review_id]) == {review_id: 1}


def test_restarting_redis_loses_no_queued_review(stack: Stack):
    """Reviews queued while no worker runs survive `docker compose restart redis` (AOF)."""
    stack.compose("stop", "worker")
    client = _client(stack)
    try:
        ids = [client.submit(_review(f"queued before the restart, number {i}")) for i in range(20)]
    finally:
        client.close()
    stack.compose("restart", "redis")
    _wait_healthy(stack, "redis", 60)
    # up --no-deps: `start` would run the one-shots again first.
    stack.compose("up", "-d", "--no-deps", "--wait", "worker", timeout=300)
    client = _client(stack)
    try:
        verdicts = [client.wait_result(review_id, timeout=120) for review_id in ids]
        # And the stack as a whole is back: a new review goes through.
        after = client.classify(_review("submitted after the restart"), timeout=60)
    finally:
        client.close()
    assert all(v.ok for v in verdicts) and after.ok
    assert _stored(stack, [*ids, after.review.id]) == dict.fromkeys([*ids, after.review.id], 1)


def test_killing_the_worker_mid_batch_loses_nothing(stack: Stack):
    """kill -9 of the worker container's processes while it works through a burst: the
    container restarts (restart policy), reclaims what the dead one held, answers every review
    once, and the database holds each exactly once."""
    _wait_healthy(stack, "worker")
    container = stack.container("worker")
    client = _client(stack)
    try:
        reviews = [_review(f"burst review {i}: a decent film, a little long.") for i in range(3000)]
        ids = client.submit_many(reviews)
        assert all(isinstance(i, str) for i in ids), "the burst was refused"
        deadline = time.monotonic() + 60
        while client.result(ids[0]) is None:  # the worker is at work
            assert time.monotonic() < deadline, "no review of the burst was answered"
            time.sleep(0.01)
        in_flight = client.redis.xlen(client.settings.stream)
        before = stack.inspect(container)
        os.kill(before["State"]["Pid"], signal.SIGKILL)  # its init: the whole container dies
        deadline = time.monotonic() + 120
        while stack.inspect(container)["RestartCount"] <= before["RestartCount"]:
            assert time.monotonic() < deadline, "the worker was not restarted"
            time.sleep(0.2)
        verdicts = [client.wait_result(review_id, timeout=180) for review_id in ids]
    finally:
        client.close()
    stack.report["kill -9"] = {"reviews": len(ids), "waiting or in flight at the kill": in_flight}
    assert all(v.ok for v in verdicts)
    stored = _stored(stack, ids, timeout_s=120)
    assert len(stored) == len(ids)
    assert set(stored.values()) == {1}
    assert in_flight > 0, "the burst was done before the kill: nothing was tested"


def test_down_removes_the_containers_and_the_volumes(stack: Stack):
    stack.compose("down", "-v", "--remove-orphans", "--timeout", "20")
    stack.down = True
    label = f"label=com.docker.compose.project={PROJECT}"
    assert stack.daemon.docker("ps", "-aq", "--filter", label).stdout.strip() == ""
    assert stack.daemon.docker("volume", "ls", "-q", "--filter", label).stdout.strip() == ""
