"""Where the offline backbone and the default checkpoint live (under REVIEWBOT_HOME), and which
checkpoint the workers serve."""

from pathlib import Path

from model.settings import ModelSettings
from reviewbot.settings import CommonSettings


def backbone_dir() -> Path:
    """The multilingual-e5-small backbone as a transformers folder (`reviewbot model build-backbone`)."""
    return CommonSettings().home_dir() / "backbones" / "multilingual-e5-small"


def default_checkpoint_dir() -> Path:
    """The checkpoint served when REVIEWBOT_MODEL_CHECKPOINT is not set (`reviewbot model default`)."""
    return CommonSettings().home_dir() / "checkpoints" / "default"


def served_checkpoint_dir(settings: ModelSettings | None = None) -> Path:
    """The checkpoint the workers serve: REVIEWBOT_MODEL_CHECKPOINT, else the default one."""
    settings = settings or ModelSettings()
    return settings.checkpoint or default_checkpoint_dir()
