"""Content hashes that identify what a checkpoint is made of and what it was trained on."""

import hashlib
from pathlib import Path

from training.splits import Splits

#: Everything that changes a prediction: weights, config and tokenizer (reviewbot.json adds the threshold).
CONTENT_FILES = (
    "config.json", "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "sentencepiece.bpe.model",
    "vocab.txt",
)  # fmt: skip


def content_hash(folder: Path, threshold: float) -> str:
    digest = hashlib.sha256()
    for name in CONTENT_FILES:
        path = folder / name
        if path.is_file():
            digest.update(name.encode())
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 22):
                    digest.update(chunk)
    digest.update(f"threshold={threshold:.6f}".encode())
    return f"sha256:{digest.hexdigest()}"


def data_hash(splits: Splits) -> str:
    """Changes when any text, label or split assignment changes."""
    digest = hashlib.sha256()
    for name in ("train", "validation", "test"):
        part = getattr(splits, name)
        for text, label in zip(part.texts, part.labels.tolist(), strict=True):
            digest.update(f"{name}\t{label}\t{text}\n".encode())
    return f"sha256:{digest.hexdigest()}"
