"""The checkpoint folder the worker serves.

A folder that `AutoModelForSequenceClassification` and `AutoTokenizer` load (`save_pretrained`),
plus `reviewbot.json` beside them: the decision threshold (P(positive) >= threshold is
positive), optionally one threshold per language, optionally a pooled head (model/pooling.py),
the metrics they were chosen with, and whatever else training records.
"""

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from model.errors import CheckpointError
from model.pooling import HEAD_FILE, Pooling

META_FILE = "reviewbot.json"
DEFAULT_THRESHOLD = 0.5
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
TOKENIZER_FILES = ("tokenizer.json", "sentencepiece.bpe.model", "vocab.txt")
#: Everything in the folder that changes a prediction (reviewbot.json adds the threshold).
CONTENT_FILES = (
    "config.json", *WEIGHT_FILES, *TOKENIZER_FILES, "tokenizer_config.json",
    "special_tokens_map.json", HEAD_FILE,
)  # fmt: skip
#: What `Prediction.threshold_scope` says when the overall threshold decided.
OVERALL = "overall"
#: The label names of a served checkpoint; model/ finds the positive class by name.
ID2LABEL = {0: "NEGATIVE", 1: "POSITIVE"}
LABEL2ID = {label: index for index, label in ID2LABEL.items()}

log = logging.getLogger(__name__)


class CheckpointMeta(BaseModel):
    """Contents of `reviewbot.json`."""

    model_config = ConfigDict(extra="allow")

    #: The overall threshold: used for a language without a threshold of its own.
    threshold: float = DEFAULT_THRESHOLD
    #: Per detected language ("en", "es", "other"): its own threshold, when training had enough
    #: validation rows of that language. Missing (old checkpoints): the overall one for all.
    thresholds: dict[str, float] = Field(default_factory=dict)
    #: Present: the encoder is served with a pooled logistic-regression head (model/pooling.py)
    #: instead of the model's own sequence-classification head.
    pooling: Pooling | None = None
    metrics: dict[str, Any] = Field(default_factory=dict)
    base_model: str | None = None

    def threshold_for(self, language: str) -> tuple[float, str]:
        """The threshold that decides a review in `language`, and which one it is."""
        if language in self.thresholds:
            return self.thresholds[language], language
        return self.threshold, OVERALL

    def decision_key(self) -> str:
        """Everything in reviewbot.json that changes a label, as text for the hashes; with one
        threshold and no pooling exactly what versions were hashed from before those existed."""
        key = f"{self.threshold:.6f}"
        if self.thresholds:
            key += "|" + ",".join(f"{k}={v:.6f}" for k, v in sorted(self.thresholds.items()))
        if self.pooling is not None:
            key += "|pooling=" + self.pooling.model_dump_json()
        return key


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
    for name, value in {OVERALL: meta.threshold, **meta.thresholds}.items():
        if not 0.0 < value < 1.0:
            raise CheckpointError(
                f"checkpoint folder {path}: {META_FILE} has threshold {name} {value}, "
                "outside (0, 1)"
            )
    if meta.pooling is not None and not (path / HEAD_FILE).is_file():
        raise CheckpointError(
            f"checkpoint folder {path} is incomplete: {META_FILE} names a pooled head but "
            f"{HEAD_FILE} is missing"
        )
    return meta


def write_meta(path: Path, meta: CheckpointMeta) -> None:
    (path / META_FILE).write_text(json.dumps(meta.model_dump(mode="json"), indent=2) + "\n")


def make_readable(folder: Path) -> None:
    """Every file under `folder` readable by everyone: save_pretrained and safetensors write
    weights owner-only (0600), which a worker container running as another user cannot read
    from a mounted checkpoint."""
    for file in folder.rglob("*"):
        if file.is_file():
            file.chmod(file.stat().st_mode | 0o444)


def content_hash(path: Path, meta: CheckpointMeta) -> str:
    """sha256 of the weights, config, tokenizer, head and thresholds: what the checkpoint is made of."""
    digest = hashlib.sha256()
    for name in CONTENT_FILES:
        file = path / name
        if file.is_file():
            digest.update(name.encode())
            with file.open("rb") as handle:
                while chunk := handle.read(1 << 22):
                    digest.update(chunk)
    digest.update(f"threshold={meta.decision_key()}".encode())
    return f"sha256:{digest.hexdigest()}"


def model_version(path: Path, meta: CheckpointMeta) -> str:
    """A stable id of a checkpoint: its folder name and a short content hash.

    Training records the content hash in reviewbot.json; a folder without one is hashed here
    (reading every weight, ~1 s for a base-sized model). The thresholds and pooling are hashed
    in again so that a threshold edited by hand in reviewbot.json gives a new version. (A
    checkpoint with one threshold and no pooling hashes exactly as before they existed.)
    """
    recorded = getattr(meta, "content_hash", None) or content_hash(path, meta)
    short = hashlib.sha256(f"{recorded}|{meta.decision_key()}".encode()).hexdigest()[:12]
    return f"{path.name}-{short}"
