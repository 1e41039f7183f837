"""The model training starts from: any name or folder `AutoModelForSequenceClassification`
loads, by default the offline multilingual-e5-small backbone."""

import logging
from pathlib import Path

from model.checkpoint import ID2LABEL, LABEL2ID
from training.errors import DataError

log = logging.getLogger(__name__)


def device() -> str:
    """Where training runs: the device serving picks for "auto" (CUDA when available)."""
    from model.classifier import resolve_device

    return str(resolve_device("auto"))


def resolve_base(name: str) -> str:
    """`name` as given, or the offline backbone's folder (built first if missing) when empty."""
    if name:
        return name
    from model.backbone import build_backbone

    return str(build_backbone())


def load_base(name: str, on: str = "cpu"):
    """A fresh two-label sequence classifier on top of `name`, and its tokenizer."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # transformers reports the new head's weights as MISSING, which is the point here.
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModelForSequenceClassification.from_pretrained(
            name,
            num_labels=2,
            id2label=ID2LABEL,
            label2id=LABEL2ID,
            # A base that already has a classifier with another number of labels gets a new one.
            ignore_mismatched_sizes=True,
            dtype=torch.float32,
        )
    except OSError as exc:
        hint = (
            ""
            if Path(name).exists()
            else " (no such folder, and the Hugging Face hub may be unreachable)"
        )
        raise DataError(f"cannot load the base model {name!r}{hint}: {exc}") from exc
    finally:
        hf_logging.set_verbosity(verbosity)
    log.info("starting from %s (%s) with a new two-label head", name, type(model).__name__)
    return model.to(on), tokenizer
