"""Settings of the model room (prefix REVIEWBOT_MODEL_)."""

from pathlib import Path

from pydantic_settings import BaseSettings

from reviewbot.settings import room_config


class ModelSettings(BaseSettings):
    model_config = room_config("REVIEWBOT_MODEL_")

    #: Checkpoint folder the worker serves. Empty: the default checkpoint (`reviewbot model default`).
    checkpoint: Path | None = None
    #: Reviews longer than this many tokens are truncated (and flagged as such).
    max_length: int = 256
    #: Padded tokens in one forward pass (batch rows x padded length).
    max_batch_tokens: int = 16384
    #: Reviews in one forward pass.
    max_batch_requests: int = 256
    #: "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:1", ...
    device: str = "auto"
    #: Torch CPU threads per process; 0 keeps torch's default (all cores).
    cpu_threads: int = 0
