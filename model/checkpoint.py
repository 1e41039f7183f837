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


def validate(path: Path) -> CheckpointMeta:
    """Everything about a checkpoint folder that can be checked without loading the model (no
    torch): files present, config.json readable with 2 labels, the safetensors weights whole,
    reviewbot.json valid. Raises CheckpointError with one sentence naming the folder and the
    problem; entry points call it before they start, then `model.load` does the rest."""
    path = Path(path).expanduser().resolve()
    check_folder(path)
    config = _read_json(path / "config.json")
    labels = config.get("id2label") or {}
    count = len(labels) if labels else config.get("num_labels", 2)
    if count != 2:
        raise CheckpointError(f"checkpoint folder {path}: the model has {count} labels, not 2")
    if (path / "model.safetensors").is_file():
        check_safetensors(path / "model.safetensors")
    return read_meta(path)


def check_safetensors(file: Path) -> None:
    """Raise CheckpointError unless `file` is a whole safetensors file: an 8-byte header length,
    a JSON header within the file, every tensor's data inside it. Catches a zeroed header, a
    truncated copy or random bytes before transformers fails on them with a traceback."""
    size = file.stat().st_size
    with file.open("rb") as handle:
        head = handle.read(8)
        length = int.from_bytes(head, "little") if len(head) == 8 else 0
        if not 2 <= length <= size - 8:
            raise CheckpointError(
                f"checkpoint folder {file.parent}: {file.name} is corrupt "
                "(no valid safetensors header): copy it again"
            )
        try:
            header = json.loads(handle.read(length))
            end = max(
                (
                    entry["data_offsets"][1]
                    for name, entry in header.items()
                    if name != "__metadata__"
                ),
                default=0,
            )
        except (ValueError, TypeError, KeyError, IndexError, AttributeError):
            raise CheckpointError(
                f"checkpoint folder {file.parent}: {file.name} is corrupt (its header is not "
                "safetensors JSON): copy it again"
            ) from None
    if 8 + length + end > size:
        raise CheckpointError(
            f"checkpoint folder {file.parent}: {file.name} is truncated ({size} bytes, its header "
            f"describes {8 + length + end}): copy it again"
        )


def _read_json(file: Path) -> dict:
    try:
        value = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckpointError(
            f"checkpoint folder {file.parent}: {file.name} is not valid JSON ({_first_line(exc)})"
        ) from None
    if not isinstance(value, dict):
        raise CheckpointError(f"checkpoint folder {file.parent}: {file.name} is not a JSON object")
    return value


def _first_line(error: BaseException) -> str:
    """An error's first line, for messages that must stay one sentence."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def read_meta(path: Path) -> CheckpointMeta:
    meta_path = path / META_FILE
    if not meta_path.is_file():
        log.warning(
            "%s has no %s: using the default threshold %.2f", path, META_FILE, DEFAULT_THRESHOLD
        )
        return CheckpointMeta()
    try:
        meta = CheckpointMeta.model_validate(_read_json(meta_path))
    except ValueError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}"
            for e in getattr(exc, "errors", list)()
        )
        raise CheckpointError(
            f"checkpoint folder {path}: {META_FILE} is not valid ({problems or _first_line(exc)})"
        ) from exc
    if not 0.0 < meta.threshold < 1.0:
        raise CheckpointError(
            f"checkpoint folder {path}: {META_FILE} has threshold {meta.threshold}, outside (0, 1)"
        )
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
