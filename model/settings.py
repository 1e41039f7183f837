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
    #: Reviews in one forward pass; 0: 256 on CUDA, 64 on CPU. A CPU runs smaller matrices faster
    #: (they stay in cache): on 2 cores, e5-small, 1,000 short reviews, 64 rows gave ~200
    #: reviews/s and 256 rows ~140 (bench/model_predict.py).
    max_batch_requests: int = 0
    #: "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:1", ...
    device: str = "auto"
    #: Torch CPU threads per process; 0 keeps torch's default (all cores).
    cpu_threads: int = 0
    #: Threads that clean, tokenize and detect the language of a batch (model/encoding.py);
    #: 0: the cores this process may use, at most 8.
    encode_threads: int = 0
    #: Processes that run lingua for the reviews the function words leave undecided
    #: (model/language_processes.py; ~350 MB of language models each), off the worker's GIL;
    #: 0: in the encoding threads. Unset: 1 on CUDA, where a worker process is bound by its
    #: GIL, 0 on a CPU, where the forward pass is the bound and the memory buys nothing.
    language_processes: int | None = None
    #: On CUDA, run forward passes in fixed-shape buckets replayed as CUDA graphs, captured at
    #: warm-up (model/buckets.py); off, or if capturing fails: eager passes.
    cuda_graphs: bool = True
