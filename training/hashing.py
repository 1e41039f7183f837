"""The hash of what a checkpoint was trained on (what it is made of: model.checkpoint.content_hash)."""

import hashlib

from training.splits import Splits


def data_hash(splits: Splits) -> str:
    """Changes when any text, label or split assignment changes."""
    digest = hashlib.sha256()
    for name in ("train", "validation", "test"):
        part = getattr(splits, name)
        for text, label in zip(part.texts, part.labels.tolist(), strict=True):
            digest.update(f"{name}\t{label}\t{text}\n".encode())
    return f"sha256:{digest.hexdigest()}"
