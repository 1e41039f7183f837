"""The checkpoint folder the worker serves.

A folder that `AutoModelForSequenceClassification` and `AutoTokenizer` load (`save_pretrained`),
plus `reviewbot.json` beside them: the decision threshold (P(positive) >= threshold is
positive), the metrics it was chosen with, and whatever else training records.
"""

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from model.errors import CheckpointError

META_FILE = "reviewbot.json"
DEFAULT_THRESHOLD = 0.5
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
TOKENIZER_FILES = ("tokenizer.json", "sentencepiece.bpe.model", "vocab.txt")
#: Everything in the folder that changes a prediction (reviewbot.json adds the threshold).
CONTENT_FILES = (
    "config.json", *WEIGHT_FILES, *TOKENIZER_FILES, "tokenizer_config.json",
    "special_tokens_map.json",
)  # fmt: skip
#: The label names of a served checkpoint; model/ finds the positive class by name.
ID2LABEL = {0: "NEGATIVE", 1: "POSITIVE"}
LABEL2ID = {label: index for index, label in ID2LABEL.items()}

log = logging.getLogger(__name__)


class CheckpointMeta(BaseModel):
    """Contents of `reviewbot.json`."""

    model_config = ConfigDict(extra="allow")

    threshold: float = DEFAULT_THRESHOLD
    metrics: dict[str, Any] = Field(default_factory=dict)
    base_model: str | None = None


def check_folder(path: Path) -> None:
    """Raise CheckpointError unless `path` holds a config, weights and a tokenizer."""
    if not path.is_dir():
        raise CheckpointError(f"checkpoint folder {path} does not exist")
    if not (path / "config.json").is_file():
        raise CheckpointError(f"checkpoint folder {path} is incomplete: no config.json")
    if not any((path / name).is_file() for name in WEIGHT_FILES):
        raise CheckpointError(
            f"checkpoint folder {path} is incomplete: no model weights ({' or '.join(WEIGHT_FILES)})"
        )
    if not any((path / name).is_file() for name in TOKENIZER_FILES):
        raise CheckpointError(
            f"checkpoint folder {path} is incomplete: no tokenizer ({' or '.join(TOKENIZER_FILES)})"
        )


def read_meta(path: Path) -> CheckpointMeta:
    meta_path = path / META_FILE
    if not meta_path.is_file():
        log.warning(
            "%s has no %s: using the default threshold %.2f", path, META_FILE, DEFAULT_THRESHOLD
        )
        return CheckpointMeta()
    try:
        meta = CheckpointMeta.model_validate_json(meta_path.read_text())
    except ValueError as exc:
        raise CheckpointError(f"{meta_path} is not valid: {exc}") from exc
    if not 0.0 < meta.threshold < 1.0:
        raise CheckpointError(f"{meta_path}: threshold {meta.threshold} is outside (0, 1)")
    return meta


def write_meta(path: Path, meta: CheckpointMeta) -> None:
    (path / META_FILE).write_text(json.dumps(meta.model_dump(mode="json"), indent=2) + "\n")


def content_hash(path: Path, threshold: float) -> str:
    """sha256 of the weights, config, tokenizer and threshold: what the checkpoint is made of."""
    digest = hashlib.sha256()
    for name in CONTENT_FILES:
        file = path / name
        if file.is_file():
            digest.update(name.encode())
            with file.open("rb") as handle:
                while chunk := handle.read(1 << 22):
                    digest.update(chunk)
    digest.update(f"threshold={threshold:.6f}".encode())
    return f"sha256:{digest.hexdigest()}"


def model_version(path: Path, meta: CheckpointMeta) -> str:
    """A stable id of a checkpoint: its folder name and a short content hash.

    Training records the content hash in reviewbot.json; a folder without one is hashed here
    (reading every weight, ~1 s for a base-sized model). The threshold is hashed in again so a
    threshold edited by hand in reviewbot.json gives a new version.
    """
    recorded = getattr(meta, "content_hash", None) or content_hash(path, meta.threshold)
    short = hashlib.sha256(f"{recorded}|{meta.threshold:.6f}".encode()).hexdigest()[:12]
    return f"{path.name}-{short}"
