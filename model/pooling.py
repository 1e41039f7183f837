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

This module is the configuration only (no torch: model/checkpoint.py reads it in torch-free
installs); model/pooled_head.py computes it.
"""

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
