"""Where the offline backbone and the default checkpoint live (under REVIEWBOT_HOME)."""

from pathlib import Path

from reviewbot.settings import CommonSettings


def backbone_dir() -> Path:
    """The multilingual-e5-small backbone as a transformers folder (`reviewbot model build-backbone`)."""
    return CommonSettings().home_dir() / "backbones" / "multilingual-e5-small"


def default_checkpoint_dir() -> Path:
    """The checkpoint served when REVIEWBOT_MODEL_CHECKPOINT is not set (`reviewbot model default`)."""
    return CommonSettings().home_dir() / "checkpoints" / "default"
