"""The checkpoint `make demo` serves when REVIEWBOT_MODEL_CHECKPOINT is not set, built once into
the cache from the offline backbone (~8 minutes on 2 CPU cores):

1. the pooled head (mean-pooled "query: " embeddings of the last, 4th and 7th layer from the
   top + logistic regression) is fitted on the frozen encoder, as head mode fits it;
2. the encoder and that head are fine-tuned together for 2 epochs ("linear probing, then
   fine-tuning", training/full.py) on the chat-style reviews written for the project
   (`es-movies-dev`, `es-movies-train`, `en-movies-train`, weight 1.5) and a seeded 30% of
   `vader-movies` (weight 0.3), keeping the better of the two epochs on validation F1.

Why not head mode alone, which builds in under 3 minutes: no head on the frozen encoder reached
0.88 on Spanish reviews it never saw (0.847 on `es-movies-holdout`, every head, layer choice and
data weight measured in docs/training.md); the frozen encoder is the limit. Two short epochs of
the encoder on the written rows take that to 0.924, with English up too (`en-movies-holdout`
0.906 -> 0.956, `vader-movies` test 0.842 -> 0.876, on the same split). Subsampling `vader-movies` keeps the build
in minutes: the written rows are what teach the encoder Spanish.

A better checkpoint (say a full fine-tune) replaces it through REVIEWBOT_MODEL_CHECKPOINT, never
by editing code.
"""

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from model.checkpoint import META_FILE, check_folder
from model.errors import CheckpointError
from model.paths import default_checkpoint_dir

log = logging.getLogger(__name__)

WRITTEN_FOR_TRAINING = ("es-movies-dev", "es-movies-train", "en-movies-train")
DEFAULT_DATA = ["vader-movies", *WRITTEN_FOR_TRAINING]
#: The head's sample weights and, in the fine-tune, how often a source's rows are seen per epoch
#: (0.3: a seeded 30% of them). Written rows 5x vader-movies' weight, as the head-mode default
#: chose on validation among 1, 3, 5, 8 and 10 (docs/training.md).
DEFAULT_SOURCE_WEIGHTS = (
    ("vader-movies", 0.3), *((name, 1.5) for name in WRITTEN_FOR_TRAINING)
)  # fmt: skip
#: Also measured on the held-out review sets when the default is built, for its reviewbot.json.
DEFAULT_EXTRA_EVALUATION = (
    "es-movies-test", "en-movies-test", "es-movies-holdout", "en-movies-holdout"
)  # fmt: skip


def is_complete(path: Path) -> bool:
    try:
        check_folder(path)
    except CheckpointError:
        return False
    return (path / META_FILE).is_file()


@contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    """One builder at a time: several workers may start together on a fresh machine."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_default_checkpoint() -> Path:
    """The default checkpoint's folder, trained first if it is missing or incomplete."""
    path = default_checkpoint_dir()
    if is_complete(path):
        return path
    with _exclusive(path.with_name(path.name + ".lock")):
        if is_complete(path):  # another process built it while this one waited
            return path
        from training.settings import TrainingSettings
        from training.train import DataOptions, train

        log.info(
            "building the default checkpoint into %s (pooled head fitted, then fine-tuned with "
            "the encoder for 2 epochs, on %s): about 8 minutes on 2 CPU cores",
            path, DEFAULT_DATA,
        )  # fmt: skip
        # Every knob of the recipe is fixed here, so that REVIEWBOT_TRAINING_* settings meant for
        # other runs cannot turn the demo's first start into another model or an hour of training.
        settings = TrainingSettings(
            mode="full", base_model="", seed=0, head_pooling="mean", head_prefix="auto",
            head_layers=3, head_layer_step=3, head_c=1.0, epochs=2.0, evals_per_epoch=1,
            learning_rate=5e-5, batch_size=32, weight_decay=0.01, warmup_ratio=0.06,
            early_stopping_patience=2, freeze_embeddings="auto", freeze_layers=0,
        )  # fmt: skip
        train(
            DEFAULT_DATA,
            path,
            settings,
            DataOptions(source_weights=DEFAULT_SOURCE_WEIGHTS),
            also_evaluate=DEFAULT_EXTRA_EVALUATION,
            overwrite=True,
        )
    return path
