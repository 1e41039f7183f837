"""What the compose test builds on, made locally (no image registry is reachable) and cached.

- Base image: `debootstrap --variant=minbase bookworm` + python3 and its venv module, imported
  with `docker import`; the images' BASE_IMAGE build argument points at it.
- Services image: Debian's redis-server and postgresql-15 on the same minbase, standing in for
  the redis and postgres images of docker-compose.yml.
- Wheelhouse: every wheel the images install (`pip wheel` on the host, which reaches PyPI and
  this machine's CPU torch wheel), mounted into the builds (`--no-index --find-links`).

Each is cached under the cache folder (REVIEWBOT_CI_CACHE, default ~/.cache/reviewbot-ci):
the root filesystems as tarballs keyed by their package lists, the wheelhouse keyed by a hash
of pyproject.toml and docker/requirements.py. A clean machine builds them (~2 min in all).
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

SUITE = "bookworm"
BASE_PACKAGES = ["python3", "python3-venv", "ca-certificates"]
SERVICE_PACKAGES = ["redis-server", "postgresql-15"]
#: Trimmed from the root filesystems: apt's lists and downloads, documentation, translations.
TRIM = ["var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man",
        "usr/share/locale", "usr/share/info"]  # fmt: skip


def cache_dir() -> Path:
    path = Path(os.environ.get("REVIEWBOT_CI_CACHE", "~/.cache/reviewbot-ci")).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:12]


def _trim(rootfs: Path) -> None:
    for relative in TRIM:
        folder = rootfs / relative
        if folder.is_dir():
            for child in folder.iterdir():
                if child.is_dir() and not child.is_symlink():
                    shutil.rmtree(child)
                else:
                    child.unlink()


def _tar(rootfs: Path, out: Path) -> None:
    partial = out.with_suffix(".partial")
    subprocess.run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(partial), "."],
                   check=True)  # fmt: skip
    partial.rename(out)


def _chroot(rootfs: Path, script: str) -> None:
    subprocess.run(["chroot", str(rootfs), "sh", "-ec", script], check=True, capture_output=True,
                   env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})  # fmt: skip


def _debootstrap(packages: list[str], rootfs: Path) -> None:
    try:
        subprocess.run(
            ["debootstrap", "--variant=minbase", f"--include={','.join(packages)}", SUITE,
             str(rootfs)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"debootstrap failed:\n{exc.stdout[-2000:]}{exc.stderr[-2000:]}") from exc


def _services_layout(rootfs: Path) -> None:
    """No cluster of the package's own (the CI override runs initdb into the compose volume);
    the data folders the compose volumes mount, owned by their users."""
    _chroot(
        rootfs,
        "rm -rf /var/lib/postgresql/15/main /etc/postgresql/15/main"
        " && mkdir -p /data /var/lib/postgresql/data"
        " && chown redis:redis /data && chown postgres:postgres /var/lib/postgresql/data"
        " && chmod 700 /var/lib/postgresql/data",
    )


def rootfs_tarballs() -> tuple[Path, Path]:
    """(base, services) root filesystem tarballs, built with debootstrap when not cached.

    The two debootstraps run side by side: each spends most of its time waiting on downloads
    and dpkg, one after another (~1.5 min each on a quiet machine, 4 on a loaded one).
    """
    from concurrent.futures import ThreadPoolExecutor

    cache = cache_dir()
    key = _key(SUITE, BASE_PACKAGES, SERVICE_PACKAGES)
    base_tar, services_tar = cache / f"base-{key}.tar", cache / f"services-{key}.tar"
    if base_tar.exists() and services_tar.exists():
        return base_tar, services_tar
    work = cache / f"rootfs-{key}.tmp"
    shutil.rmtree(work, ignore_errors=True)
    base, services = work / "base", work / "services"
    try:
        with ThreadPoolExecutor(2) as pool:
            done = [pool.submit(_debootstrap, BASE_PACKAGES, base),
                    pool.submit(_debootstrap, SERVICE_PACKAGES, services)]  # fmt: skip
            for future in done:
                future.result()
        _services_layout(services)
        for rootfs, tarball in ((base, base_tar), (services, services_tar)):
            _trim(rootfs)
            _tar(rootfs, tarball)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return base_tar, services_tar


def image_extras(pyproject: Path) -> list[str]:
    """Every optional-dependency group but the tests': what the images may install."""
    groups = tomllib.loads(pyproject.read_text())["project"].get("optional-dependencies", {})
    return [name for name in groups if name != "test"]


def wheelhouse(repo: Path) -> Path:
    """A folder with every wheel the images install, built with pip when not cached."""
    pyproject, script = repo / "pyproject.toml", repo / "docker" / "requirements.py"
    key = hashlib.sha256(pyproject.read_bytes() + script.read_bytes()).hexdigest()[:12]
    folder = cache_dir() / f"wheelhouse-{key}"
    if folder.is_dir():
        return folder
    partial = folder.with_suffix(".partial")
    shutil.rmtree(partial, ignore_errors=True)
    requirements = subprocess.run(
        [sys.executable, str(script), ",".join(image_extras(pyproject)), str(pyproject)],
        check=True, capture_output=True, text=True,
    ).stdout.splitlines()  # fmt: skip
    # setuptools and wheel: the image builds the project itself (build isolation, no index).
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "-w", str(partial), *filter(None, requirements),
         "setuptools>=77", "wheel"],
        check=True, capture_output=True,
    )  # fmt: skip
    partial.rename(folder)
    return folder


def link_wheels(source: Path, target: Path) -> list[Path]:
    """Hard-link (copy across file systems) the wheels into the build context's wheelhouse."""
    linked = []
    for wheel in source.glob("*.whl"):
        destination = target / wheel.name
        if not destination.exists():
            try:
                os.link(wheel, destination)
            except OSError:
                shutil.copy2(wheel, destination)
            linked.append(destination)
    return linked
