"""`--mode head`: the encoder stays frozen; only the model's own classification head is fitted,
on embeddings computed once. Minutes on a CPU instead of an hour.

The head is trained inside the sequence-classification model itself (BERT: pooler + classifier;
RoBERTa/XLM-R: classifier.dense + out_proj), fed with the encoder's first-token state: exactly
what that head sees when the model runs end to end. So the saved checkpoint serves the same
probabilities as the fitted head, with no custom architecture to load.
"""

import copy
import logging

import numpy as np
import torch
from torch import nn

from model.classifier import pad_rows, plan_batches
from training.progress import progress

log = logging.getLogger(__name__)

#: Padded tokens per forward pass while computing embeddings.
BATCH_TOKENS = 16384
FEATURE_BATCH = 256
#: Epochs without a lower validation loss before head training stops.
PATIENCE = 20
HEAD_BATCH = 256


def _first_token_states(
    encoder: nn.Module, ids: list[list[int]], pad_id: int, description: str
) -> torch.Tensor:
    states = torch.empty(len(ids), encoder.config.hidden_size)
    device = next(encoder.parameters()).device
    with progress() as bars, torch.inference_mode():
        task = bars.add_task(description, total=len(ids))
        for batch in plan_batches([len(row) for row in ids], BATCH_TOKENS, FEATURE_BATCH):
            input_ids, mask = pad_rows([ids[i] for i in batch], pad_id)
            hidden = encoder(
                input_ids=torch.from_numpy(input_ids).to(device),
                attention_mask=torch.from_numpy(mask).to(device),
            ).last_hidden_state
            states[batch] = hidden[:, 0].float().cpu()
            bars.advance(task, len(batch))
    return states


def embed(
    model: nn.Module, tokenizer, texts: list[str], max_length: int, description: str
) -> torch.Tensor:
    """The encoder's first-token state of each text: what the classification head sees."""
    ids = tokenizer(texts, truncation=True, max_length=max_length, verbose=False)["input_ids"]
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    return _first_token_states(model.base_model, ids, pad_id, description)


class Head(nn.Module):
    """The model's own head modules, applied to first-token states."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        # Registered so that train()/eval() also switch the dropout the BERT head applies.
        self.model = model
        pooler = getattr(model.base_model, "pooler", None)
        classifier = model.classifier
        if pooler is not None and isinstance(classifier, nn.Linear):  # BERT family
            self.first_linear = pooler.dense
            self.trainable = nn.ModuleList([pooler, classifier])
            self._forward = lambda x: classifier(model.dropout(pooler(x[:, None, :])))
        elif hasattr(classifier, "dense") and hasattr(classifier, "out_proj"):  # RoBERTa / XLM-R
            self.first_linear = classifier.dense
            self.trainable = nn.ModuleList([classifier])
            self._forward = lambda x: classifier(x[:, None, :])
        else:
            raise ValueError(
                f"--mode head knows BERT- and RoBERTa-style heads, not {type(model).__name__}; use --mode full"
            )

    def forward(self, states: torch.Tensor) -> torch.Tensor:
        return self._forward(states)

    def fold_standardization(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Make the head take raw states: W((x - mean) / std) + b == (W / std) x + (b - W (mean / std))."""
        with torch.no_grad():
            weight = self.first_linear.weight
            self.first_linear.bias -= weight @ (mean / std)
            weight /= std


def _loss(head: Head, states: torch.Tensor, labels: torch.Tensor) -> float:
    head.eval()
    with torch.no_grad():
        return float(nn.functional.cross_entropy(head(states), labels))


def fit_head(
    model: nn.Module,
    train: tuple[torch.Tensor, np.ndarray],
    validation: tuple[torch.Tensor, np.ndarray],
    epochs: int,
    learning_rate: float,
    weight_decay: float,
    seed: int,
) -> dict:
    """Fit the head in place on standardized states, keep the epoch with the lowest validation
    loss, then fold the standardization into its first linear layer."""
    torch.manual_seed(seed)
    head = Head(model)
    x_train, y_train = train[0], torch.as_tensor(train[1])
    mean, std = x_train.mean(0), x_train.std(0).clamp_min(1e-6)
    x_train, x_val = (x_train - mean) / std, (validation[0] - mean) / std
    y_val = torch.as_tensor(validation[1])
    # The pretrained first layer expects raw states, not standardized ones: start it afresh.
    nn.init.xavier_uniform_(head.first_linear.weight)
    nn.init.zeros_(head.first_linear.bias)
    optimizer = torch.optim.AdamW(
        head.trainable.parameters(), lr=learning_rate, weight_decay=weight_decay
    )
    best = (_loss(head, x_val, y_val), 0, copy.deepcopy(head.trainable.state_dict()))
    generator = torch.Generator().manual_seed(seed)
    with progress() as bars:
        task = bars.add_task("fitting the head", total=epochs)
        for epoch in range(1, epochs + 1):
            head.train()
            for batch in torch.randperm(len(x_train), generator=generator).split(HEAD_BATCH):
                optimizer.zero_grad()
                nn.functional.cross_entropy(head(x_train[batch]), y_train[batch]).backward()
                optimizer.step()
            loss = _loss(head, x_val, y_val)
            if loss < best[0]:
                best = (loss, epoch, copy.deepcopy(head.trainable.state_dict()))
            bars.advance(task)
            if epoch - best[1] >= PATIENCE:
                bars.update(task, total=epoch)
                break
    head.trainable.load_state_dict(best[2])
    head.fold_standardization(mean, std)
    head.eval()
    log.info("head: best validation loss %.4f at epoch %d", best[0], best[1])
    return {"best_validation_loss": best[0], "best_epoch": best[1], "epochs_run": epoch}


def head_probabilities(model: nn.Module, states: torch.Tensor) -> np.ndarray:
    """P(positive) from first-token states through the (folded) head."""
    head = Head(model).eval()
    with torch.no_grad():
        return torch.softmax(head(states), dim=-1)[:, 1].numpy()
