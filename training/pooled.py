"""`--mode head` with `--head-pooling mean` (the default): the frozen encoder's mean-pooled,
L2-normalised hidden states of "query: " + text, as multilingual-e5 was trained to produce
them, and a logistic regression on top (scikit-learn, L2 penalty of strength 1/C).

The checkpoint keeps the encoder as a plain transformers folder, the regression in
`pooled_head.safetensors` and the pooling in reviewbot.json; model/ pools the same way when it
serves. Why not the model's own head on the first token: on the offline backbone that
reads a state e5 was never trained to produce; measured with the same regression on the same
rows, vader-movies test 0.819 (first token) vs 0.847 (mean, normalised) and Spanish test AUC
0.852 vs 0.881 (docs/training.md has the table).
"""

import logging

import numpy as np
import torch
from torch import nn

from model.classifier import pad_rows, plan_batches
from model.pooled_head import PooledHead, pooled_features
from model.pooling import Pooling
from training.progress import progress

log = logging.getLogger(__name__)

#: Padded tokens per forward pass while computing features.
BATCH_TOKENS = 16384
FEATURE_BATCH = 64
#: e5's convention for texts that are classified rather than retrieved.
E5_PREFIX = "query: "


def default_prefix(base_model: str, setting: str) -> str:
    """`auto`: e5's "query: " when the base is an e5 model (the offline backbone is one), else
    nothing; anything else is used as given ("none" for no prefix)."""
    if setting == "none":
        return ""
    if setting != "auto":
        return setting
    return E5_PREFIX if "e5" in base_model.lower() else ""


def features(
    encoder: nn.Module,
    tokenizer,
    texts: list[str],
    pooling: Pooling,
    max_length: int,
    description: str,
) -> np.ndarray:
    """Pooled features of each text, computed exactly as model/ computes them when serving."""
    ids = tokenizer(
        [pooling.prefix + text for text in texts],
        truncation=True,
        max_length=max_length,
        verbose=False,
    )["input_ids"]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    device = next(encoder.parameters()).device
    width = encoder.config.hidden_size * len(pooling.layers)
    result = np.empty((len(ids), width), dtype=np.float32)
    with progress() as bars, torch.inference_mode():
        task = bars.add_task(description, total=len(ids))
        for batch in plan_batches([len(row) for row in ids], BATCH_TOKENS, FEATURE_BATCH):
            input_ids, mask = pad_rows([ids[i] for i in batch], pad_id)
            pooled = pooled_features(
                encoder,
                torch.from_numpy(input_ids).to(device),
                torch.from_numpy(mask).to(device),
                pooling,
            )
            result[batch] = pooled.cpu().numpy()
            bars.advance(task, len(batch))
    return result


def fit_logistic(
    x: np.ndarray, y: np.ndarray, c: float, seed: int, sample_weight: np.ndarray | None = None
) -> tuple[PooledHead, dict]:
    """L2-regularised logistic regression (lbfgs) on the features; classes weighted equally."""
    from sklearn.linear_model import LogisticRegression

    regression = LogisticRegression(C=c, max_iter=5000, random_state=seed)
    regression.fit(x, y, sample_weight=sample_weight)
    head = PooledHead(regression.coef_[0], float(regression.intercept_[0]))
    return head, {"head": "logistic regression", "C": c, "iterations": int(regression.n_iter_[0])}


def head_probabilities(head: PooledHead, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return head(torch.from_numpy(x)).numpy()
