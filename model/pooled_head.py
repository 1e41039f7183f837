"""The pooled head at work: mean pooling of the chosen hidden layers and the logistic regression
(model/pooling.py says how; this module needs torch)."""

from pathlib import Path

import numpy as np
import torch

from model.pooling import HEAD_FILE, Pooling


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


def pooled_features(
    encoder: torch.nn.Module, input_ids: torch.Tensor, mask: torch.Tensor, pooling: Pooling
) -> torch.Tensor:
    """The encoder run on a padded batch and its hidden states pooled: what the head reads, the
    same when serving, fitting the head and fine-tuning under it. Only the last layer is asked
    for unless the pooling reads earlier ones too."""
    deeper = pooling.layers != (-1,)
    outputs = encoder(input_ids=input_ids, attention_mask=mask, output_hidden_states=deeper)
    hidden = outputs.hidden_states if deeper else (outputs.last_hidden_state,)
    return pool(hidden, mask, pooling)


class PooledHead(torch.nn.Module):
    """Logistic regression on pooled features: P(positive) = sigmoid(features . weight + bias)."""

    def __init__(self, weight: np.ndarray | torch.Tensor, bias: float) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.as_tensor(weight, dtype=torch.float32).flatten())
        self.bias = torch.nn.Parameter(torch.tensor([float(bias)], dtype=torch.float32))

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        return features.float() @ self.weight + self.bias

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits(features))

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
