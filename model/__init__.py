"""The classifier the worker serves. Knows tensors and thresholds, not queues or chat platforms.

Names are imported on first use (PEP 562) so that importing `model.cli` for `reviewbot --help`
does not pull in torch and transformers.
"""

from importlib import import_module

_EXPORTS = {
    "CheckpointError": "model.errors",
    "CheckpointMeta": "model.checkpoint",
    "Classifier": "model.classifier",
    "Encoded": "model.encoding",
    "ModelSettings": "model.settings",
    "load": "model.classifier",
    "read_meta": "model.checkpoint",
    "write_meta": "model.checkpoint",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'model' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
