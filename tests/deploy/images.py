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
        raise RuntimeError(
            f"debootstrap failed:\n{exc.stdout[-2000:]}{exc.stderr[-2000:]}"
        ) from exc


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
    for stale in [*cache.glob("base-*.tar"), *cache.glob("services-*.tar")]:
        if stale not in (base_tar, services_tar):
            stale.unlink()
    return base_tar, services_tar


def image_extras(pyproject: Path) -> list[str]:
    """Every optional-dependency group but the tests': what the images may install."""
    groups = tomllib.loads(pyproject.read_text())["project"].get("optional-dependencies", {})
    return [name for name in groups if name != "test"]


def _requires(wheel: Path) -> list[str]:
    """Requires-Dist lines of a wheel's METADATA."""
    import zipfile

    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(name).decode("utf-8", "replace")
    return [line.split(":", 1)[1].strip() for line in metadata.splitlines()
            if line.startswith("Requires-Dist:")]  # fmt: skip


def missing_for(folder: Path, requirements: list[str], python_version: str) -> list[str]:
    """Requirements an interpreter of `python_version` needs that `folder` has no wheel for.

    `pip wheel` resolves for the host's Python; the image's can differ in markers (Debian
    bookworm's 3.11.2 needs async-timeout for redis, which the host's 3.11.7 does not).
    """
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name, parse_wheel_filename

    wheels = {parse_wheel_filename(w.name)[0]: w for w in folder.glob("*.whl")}
    environment = {"python_full_version": python_version,
                   "python_version": ".".join(python_version.split(".")[:2])}  # fmt: skip
    todo = [Requirement(line) for line in requirements]
    seen: set[tuple[str, frozenset]] = set()
    missing: list[str] = []
    while todo:
        requirement = todo.pop()
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        if key[0] not in wheels:
            missing.append(str(requirement).split(";")[0])
            continue
        for line in _requires(wheels[key[0]]):
            child = Requirement(line)
            extras = [*requirement.extras, ""]
            if child.marker is None or any(
                child.marker.evaluate({**environment, "extra": extra}) for extra in extras
            ):
                todo.append(child)
    return missing


def wheelhouse(repo: Path, python_version: str) -> Path:
    """A folder with every wheel the images install for their `python_version`, built with pip
    on the host when not cached."""
    pyproject, script = repo / "pyproject.toml", repo / "docker" / "requirements.py"
    key = hashlib.sha256(
        pyproject.read_bytes() + script.read_bytes() + python_version.encode()
    ).hexdigest()[:12]
    folder = cache_dir() / f"wheelhouse-{key}"
    if folder.is_dir():
        return folder
    partial = folder.with_suffix(".partial")
    shutil.rmtree(partial, ignore_errors=True)
    lines = subprocess.run(
        [sys.executable, str(script), ",".join(image_extras(pyproject)), str(pyproject)],
        check=True, capture_output=True, text=True,
    ).stdout.splitlines()  # fmt: skip
    # setuptools and wheel: the image builds the project itself (build isolation, no index).
    requirements = [*filter(None, lines), "setuptools>=77", "wheel"]
    wanted = requirements
    for _ in range(5):  # a missing wheel's own dependencies are fetched with it
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "-w", str(partial), *wanted],
            check=True, capture_output=True,
        )  # fmt: skip
        wanted = missing_for(partial, requirements, python_version)
        if not wanted:
            break
    else:
        raise RuntimeError(f"no wheels for {wanted} (Python {python_version})")
    partial.rename(folder)
    for stale in cache_dir().glob("wheelhouse-*"):  # older pyprojects' (~0.6 GB each)
        if stale != folder:
            shutil.rmtree(stale, ignore_errors=True)
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
