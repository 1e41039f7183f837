"""The classifier the worker serves: a sequence-classification checkpoint plus its thresholds,
or an encoder plus a pooled head (model/pooling.py) when the checkpoint says so.

`encode` is the CPU half (tokenize, truncate, detect language) and `score` the accelerator
half (sorted, length-bucketed forward passes), so a worker can tokenize the next batch while
the current one runs. `predict` is both in one call.
"""

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from transformers import (
    AutoModel,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PreTrainedTokenizerBase,
)
from transformers.utils import logging as hf_logging

from model.buckets import BucketRunner
from model.checkpoint import CheckpointMeta, model_version, validate
from model.encoding import Encoded, Encoder
from model.errors import CheckpointError
from model.pooled_head import PooledHead, pooled_features
from model.settings import ModelSettings
from reviewbot.messages import Label, Language, Prediction

log = logging.getLogger(__name__)

#: Tensor cores want sequence lengths in multiples of 8; bucketing to them also means
#: few distinct shapes, so few kernel variants to warm up.
PAD_MULTIPLE = 8
#: p(positive) is rounded to this many decimals before it is compared with the threshold and
#: reported. Padding and batch size change kernels and so the last float bits (~1e-7 in fp32);
#: deciding on the rounded value keeps a review's label the same alone or in any batch.
DECISION_DECIMALS = 4
#: Reviews per forward pass when REVIEWBOT_MODEL_MAX_BATCH_REQUESTS is 0 (see ModelSettings).
GPU_BATCH_REQUESTS = 256
CPU_BATCH_REQUESTS = 64
#: lingua processes per worker process on CUDA when REVIEWBOT_MODEL_LANGUAGE_PROCESSES is unset.
#: Measured with bench/worker_throughput.py --null-model (2 cores): one lifted the backlog drain
#: from 7.9-8.3k to 10.6-11.1k reviews/s, light-load p50 unchanged (4.0-4.1 ms); two gave
#: 9.3-9.6k (docs/worker.md, "Sixth round").
GPU_LANGUAGE_PROCESSES = 1


def _language_processes(settings: ModelSettings, device: torch.device) -> int:
    if settings.language_processes is not None:
        return settings.language_processes
    return GPU_LANGUAGE_PROCESSES if device.type == "cuda" else 0


def padded_length(n_tokens: int) -> int:
    return -(-n_tokens // PAD_MULTIPLE) * PAD_MULTIPLE


def plan_batches(lengths: Sequence[int], max_tokens: int, max_requests: int) -> list[list[int]]:
    """Group indices into forward passes: sorted by length, each pass within the token budget.

    The budget counts padded tokens (rows x padded length of the longest row), which is what
    the accelerator actually computes.
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        width = padded_length(lengths[index])
        if current and (len(current) >= max_requests or (len(current) + 1) * width > max_tokens):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def pad_rows(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Token rows as one right-padded int64 matrix (width a multiple of 8) and its attention mask."""
    width = padded_length(max(len(row) for row in rows))
    input_ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for r, row in enumerate(rows):
        input_ids[r, : len(row)] = row
        mask[r, : len(row)] = 1
    return input_ids, mask


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class Classifier:
    def __init__(
        self,
        model: torch.nn.Module,
        tokenizer: PreTrainedTokenizerBase,
        meta: CheckpointMeta,
        path: Path,
        settings: ModelSettings,
        head: PooledHead | None = None,
    ) -> None:
        self.model = model
        self.head = head
        self.pooling = meta.pooling if head is not None else None
        self.tokenizer = tokenizer
        self.meta = meta
        self.path = path
        self.settings = settings
        self.threshold = meta.threshold
        self.version = model_version(path, meta)
        self.device = next(model.parameters()).device
        self.positive_index = _positive_index(model.config)
        self.encoder = Encoder(
            tokenizer,
            settings.max_length,
            settings.encode_threads,
            prefix=self.pooling.prefix if self.pooling else "",
            language_processes=_language_processes(settings, self.device),
        )
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.max_batch_requests = settings.max_batch_requests or (
            GPU_BATCH_REQUESTS if self.device.type == "cuda" else CPU_BATCH_REQUESTS
        )
        #: CUDA: fixed-shape buckets replayed as CUDA graphs once `warmup` captured them.
        self.buckets = (
            BucketRunner(
                self._forward,
                self.device,
                self.pad_id,
                settings.max_length,
                self.max_batch_requests,
                settings.max_batch_tokens,
            )
            if self.device.type == "cuda" and settings.cuda_graphs
            else None
        )

    # -- CPU half -------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> Encoded:
        """Clean, tokenize, truncate and detect the language (model/encoding.py, threaded)."""
        return self.encoder.encode(texts)

    # -- accelerator half -----------------------------------------------------------------
    @torch.inference_mode()
    def probabilities(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """P(positive) for each token sequence, computed in sorted, length-bucketed batches."""
        if self.buckets is not None and self.buckets.captured:
            return self.buckets.probabilities(ids)
        result = np.empty(len(ids), dtype=np.float64)
        plan = plan_batches(
            [len(row) for row in ids],
            self.settings.max_batch_tokens,
            self.max_batch_requests,
        )
        for batch in plan:
            input_ids, mask = self._pad([ids[i] for i in batch])
            result[batch] = self._forward(input_ids, mask).cpu().numpy()
        return result

    def _forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.pooling is None:
            logits = self.model(input_ids=input_ids, attention_mask=mask).logits.float()
            return torch.softmax(logits, dim=-1)[:, self.positive_index]
        return self.head(pooled_features(self.model, input_ids, mask, self.pooling))

    def score(self, encoded: Encoded) -> list[Prediction]:
        p_positive = self.probabilities(encoded.ids)
        return [
            self.decide(float(p), language, n_tokens, truncated)
            for p, language, n_tokens, truncated in zip(
                p_positive, encoded.languages, encoded.n_tokens, encoded.truncated, strict=True
            )
        ]

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        return self.score(self.encode(texts))

    def decide(self, p: float, language: Language, n_tokens: int, truncated: bool) -> Prediction:
        p = round(p, DECISION_DECIMALS)
        threshold, scope = self.meta.threshold_for(str(language))
        return Prediction(
            label=Label.POSITIVE if p >= threshold else Label.NEGATIVE,
            p_positive=p,
            threshold=threshold,
            threshold_scope=scope,
            language=language,
            n_tokens=n_tokens,
            truncated=truncated,
            model_version=self.version,
        )

    def warmup(self) -> None:
        """Load what the first batches would otherwise load lazily (the language models); on
        CUDA, capture the buckets' graphs (eager if that fails) or run every padded length once
        so the first real batches pay no compilation or allocator start-up cost."""
        self.encoder.warm_up()
        if self.buckets is not None:
            try:
                self.buckets.capture()
                return
            except Exception as exc:  # noqa: BLE001 - eager passes serve the same answers
                log.warning("CUDA graphs not captured (%s); running eagerly", exc)
                self.buckets = None
        if self.device.type != "cuda":
            return  # CPU kernels need no warm-up beyond a first call (the worker's warm-up reviews)
        widths = range(PAD_MULTIPLE, self.settings.max_length + 1, PAD_MULTIPLE)
        for width in widths:
            rows = max(1, min(self.max_batch_requests, self.settings.max_batch_tokens // width))
            self.probabilities([[self.pad_id + 1] * width] * rows)

    def close(self) -> None:
        """Stop the encoder's threads and language processes. A pooled worker process must:
        on its way out, multiprocessing joins its children before the executors' exit hooks
        would tell the language processes to leave, so an open pool kept it waiting for ever."""
        self.encoder.close()

    def _pad(self, rows: list[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        input_ids, mask = pad_rows(rows, self.pad_id)
        return self._to_device(input_ids), self._to_device(mask)

    def _to_device(self, array: np.ndarray) -> torch.Tensor:
        tensor = torch.from_numpy(array)
        if self.device.type == "cuda":
            return tensor.pin_memory().to(self.device, non_blocking=True)
        return tensor


def _positive_index(config) -> int:
    for label, index in (config.label2id or {}).items():
        if str(label).lower() == "positive":
            return int(index)
    return 1


def load(checkpoint_dir: str | Path, settings: ModelSettings | None = None) -> Classifier:
    """Load a checkpoint folder for inference: bf16 + SDPA on CUDA, fp32 on CPU.

    A checkpoint with a pooled head loads its encoder with `AutoModel` (any sequence-
    classification head in the folder is not used) and the head from its own file."""
    settings = settings or ModelSettings()
    path = Path(checkpoint_dir).expanduser().resolve()
    meta = validate(path)
    device = resolve_device(settings.device)
    if device.type == "cpu" and settings.cpu_threads:
        torch.set_num_threads(settings.cpu_threads)
    dtype = (
        torch.bfloat16
        if device.type == "cuda" and torch.cuda.is_bf16_supported()
        else torch.float32
    )
    hf_logging.disable_progress_bar()
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        auto = AutoModel if meta.pooling is not None else AutoModelForSequenceClassification
        verbosity = hf_logging.get_verbosity()
        # An encoder saved without BERT's (unused) pooler is reported as missing it.
        hf_logging.set_verbosity_error()
        try:
            model = auto.from_pretrained(path, dtype=dtype, attn_implementation="sdpa")
        finally:
            hf_logging.set_verbosity(verbosity)
        head = PooledHead.load(path) if meta.pooling is not None else None
    except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as exc:
        why = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CheckpointError(f"checkpoint folder {path} could not be loaded: {why}") from exc
    if model.config.num_labels != 2:
        raise CheckpointError(
            f"checkpoint folder {path}: the model has {model.config.num_labels} labels, not 2"
        )
    embeddings = model.get_input_embeddings().num_embeddings
    if len(tokenizer) > embeddings:
        raise CheckpointError(
            f"checkpoint folder {path}: tokenizer/model mismatch: the tokenizer has "
            f"{len(tokenizer)} tokens but the model embeds only {embeddings}"
        )
    model.to(device).eval()
    if head is not None:
        head.to(device).eval()
    classifier = Classifier(model, tokenizer, meta, path, settings, head)
    log.info(
        "loaded %s on %s (%s), %s, threshold %.3f%s",
        classifier.version, device, dtype,
        "pooled head" if head is not None else "sequence-classification head",
        meta.threshold,
        "".join(f", {k} {v:.3f}" for k, v in sorted(meta.thresholds.items())),
    )  # fmt: skip
    return classifier
