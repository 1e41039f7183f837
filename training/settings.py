"""Settings of the training room (prefix REVIEWBOT_TRAINING_). Every one can also be given
to `reviewbot train` as an option; the option wins."""

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings

from reviewbot.settings import CommonSettings, room_config


class Objective(StrEnum):
    """What the decision threshold is chosen for on the validation split (`--threshold-objective`)."""

    f1 = "f1"
    precision = "precision"
    recall = "recall"


class TrainingSettings(BaseSettings):
    model_config = room_config("REVIEWBOT_TRAINING_")

    #: Where the built-in datasets' source packages are downloaded. Empty: REVIEWBOT_HOME/datasets.
    data_cache: Path | None = None
    #: Model name or folder to start from. Empty: the offline multilingual-e5-small backbone
    #: (`reviewbot model build-backbone`), built first if missing.
    base_model: str = ""
    #: `head`: frozen encoder, fit the classification head on pooled embeddings (minutes on a CPU).
    #: `full`: fine-tune every layer with transformers.Trainer.
    mode: Literal["head", "full"] = "head"
    seed: int = 0
    #: Share of the rows (after cleaning) held out for choosing the threshold and early stopping.
    val_fraction: float = 0.1
    #: Share of the rows held out for the final, untouched measurement.
    test_fraction: float = 0.15
    #: Tokens kept per review when training and measuring (the serving limit by default).
    max_length: int = 256
    #: Numeric scores with |score| below this are neither positive nor negative and dropped.
    dead_zone: float = 0.5
    # -- full fine-tune ---------------------------------------------------------------------
    epochs: float = 3.0
    learning_rate: float = 5e-5
    batch_size: int = 32
    weight_decay: float = 0.01
    #: Share of the optimizer steps spent warming the learning rate up (then cosine decay).
    warmup_ratio: float = 0.06
    #: Validation rounds without a better F1 before training stops.
    early_stopping_patience: int = 2
    #: Validation rounds per epoch (each one may keep a new best checkpoint).
    evals_per_epoch: int = 2
    #: Keep the input word embeddings fixed. `auto`: on CPU only, where the AdamW update of the
    #: 250k x 384 embedding matrix costs more than the encoder's forward and backward passes.
    freeze_embeddings: Literal["auto", "yes", "no"] = "auto"
    #: Also keep the embeddings and the first N encoder layers fixed (0: none). Fewer shared
    #: layers move towards the training language, so other languages drift less.
    freeze_layers: int = 0
    #: Rows labelled by a score (the `score` mapping: `vader-movies`) are trained towards
    #: P(positive) = sigmoid(slope x score) instead of 0/1, so a snippet its raters found mildly
    #: positive is not pushed as hard as a glowing one. 0: 0/1 targets. Pooled head only (the
    #: first-token head's two-class loss takes 0/1). 1.2 on the bilingual recipe, two seeds:
    #: `vader-movies` 0.881 against 0.881 with 0/1 (docs/training.md, "Soft targets").
    score_target_slope: float = Field(0.0, ge=0)
    # -- the head (both modes) -------------------------------------------------------------
    #: `mean`: mean-pooled, L2-normalised hidden states + logistic regression, the pooling
    #: stored in the checkpoint (how e5 was trained; see docs/training.md for the measurement).
    #: Full mode fits that regression on the frozen encoder first, then fine-tunes both.
    #: `first-token`: the model's own sequence-classification head on the first token's state.
    head_pooling: Literal["mean", "first-token"] = "mean"
    #: `mean` pooling: text put before every review; `auto`: "query: " for e5 models, else none;
    #: `none`: no prefix.
    head_prefix: str = "auto"
    #: `mean` pooling: features from N hidden layers, concatenated: the last, and every
    #: `head_layer_step`-th one below it.
    head_layers: int = Field(1, ge=1)
    #: `mean` pooling: 1 takes the last N layers; 3 the last, 4th and 7th from the top (the
    #: default checkpoint's choice: lower layers rank Spanish better, docs/training.md).
    head_layer_step: int = Field(1, ge=1)
    #: `mean` pooling: inverse L2 regularisation strength of the logistic regression.
    head_c: float = 1.0
    #: `first-token`: most epochs (stops after 20 without a lower validation loss).
    head_epochs: int = 200
    #: `first-token`: AdamW learning rate.
    head_learning_rate: float = 1e-3
    # -- thresholds ------------------------------------------------------------------------
    #: A detected language gets a threshold of its own when validation holds at least this many
    #: rows of it (and at least a fifth of them in each class); else it uses the overall one.
    #: 300: on 145 Spanish validation rows the F1-best threshold swung by sd 0.09 over 8
    #: re-splits and cost 2.5 points of accuracy on a separate writer's Spanish reviews against
    #: the model's own 0.5 (bench/default_recipe.py; docs/training.md, "Per-language thresholds").
    language_threshold_min_rows: int = 300

    def cache_dir(self) -> Path:
        path = (self.data_cache or CommonSettings().home_dir() / "datasets").expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path
