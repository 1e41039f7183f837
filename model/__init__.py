"""The classifier the worker serves. Knows tensors and thresholds, not queues or chat platforms."""

from model.checkpoint import CheckpointMeta, read_meta, write_meta
from model.classifier import Classifier, Encoded, load
from model.errors import CheckpointError
from model.settings import ModelSettings

__all__ = [
    "CheckpointError",
    "CheckpointMeta",
    "Classifier",
    "Encoded",
    "ModelSettings",
    "load",
    "read_meta",
    "write_meta",
]
