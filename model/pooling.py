"""A pooled head: how a checkpoint turns the encoder's token states into P(positive) without
the model's own sequence-classification head.

multilingual-e5 was trained to compare mean-pooled, L2-normalised embeddings of texts that
carry a "query: " (or "passage: ") prefix; its first-token state and BERT's pooler were never
trained for anything. So a checkpoint may say, in `reviewbot.json` under `pooling`, how to pool
(prefix, which hidden layers, normalisation) and keep a logistic-regression head beside the
encoder in `pooled_head.safetensors`. The encoder folder itself stays a plain transformers
folder (`AutoModel` loads it). Measured on the offline backbone (docs/training.md, head-mode
variants), same English training rows: vader-movies test accuracy 0.819 (first token) -> 0.847
(mean-pooled, normalised), Spanish test reviews AUC 0.852 -> 0.881.
"""

from pathlib import Path

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

#: The head's weights, beside the encoder's.
HEAD_FILE = "pooled_head.safetensors"


class Pooling(BaseModel):
    """How texts become the head's features (stored in reviewbot.json)."""

    model_config = ConfigDict(frozen=True)

    #: Prepended to every text before tokenization (e5: "query: ").
    prefix: str = ""
    #: Hidden states averaged over the text's tokens, concatenated in this order:
    #: -1 is the last layer, -2 the one before, ... (0 would be the embeddings).
    layers: tuple[int, ...] = Field(default=(-1,), min_length=1)
    #: Scale each layer's mean-pooled vector to unit length (e5 compares cosines).
    normalize: bool = True


def pool(
    hidden_states: tuple[torch.Tensor, ...], mask: torch.Tensor, pooling: Pooling
) -> torch.Tensor:
    """Features (batch x layers*hidden, fp32) from the encoder's hidden states and the mask."""
    weights = mask[:, :, None].float()
    counts = weights.sum(1).clamp_min(1.0)
    parts = []
    for layer in pooling.layers:
        mean = (hidden_states[layer].float() * weights).sum(1) / counts
        if pooling.normalize:
            mean = torch.nn.functional.normalize(mean, dim=-1)
        parts.append(mean)
    return torch.cat(parts, dim=-1)


class PooledHead(torch.nn.Module):
    """Logistic regression on pooled features: P(positive) = sigmoid(features . weight + bias)."""

    def __init__(self, weight: np.ndarray | torch.Tensor, bias: float) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.as_tensor(weight, dtype=torch.float32).flatten())
        self.bias = torch.nn.Parameter(torch.tensor([float(bias)], dtype=torch.float32))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(features.float() @ self.weight + self.bias)

    def save(self, folder: Path) -> Path:
        from safetensors.torch import save_file

        path = folder / HEAD_FILE
        save_file({"weight": self.weight.detach().cpu(), "bias": self.bias.detach().cpu()}, path)
        return path

    @classmethod
    def load(cls, folder: Path) -> "PooledHead":
        from safetensors.torch import load_file

        tensors = load_file(folder / HEAD_FILE)
        return cls(tensors["weight"], float(tensors["bias"][0]))
