"""`--mode full`: fine-tune every layer with transformers.Trainer.

bf16 on GPUs that support it, fp16 on other GPUs, fp32 on CPU; cosine schedule with warmup;
weight decay; dynamic padding to a multiple of 8 with length-grouped batches; early stopping
on validation F1; the best checkpoint is the one kept.

With `--head-pooling mean` (the default) the encoder is fine-tuned under the pooled head that
head mode fits, starting from that fitted head ("linear probing, then fine-tuning": the head
is already right when the encoder starts to move, so the first steps do not push random-head
gradients into it): the checkpoint is served exactly as a head-mode one. With `first-token`,
the model's own sequence-classification head on the first token is trained from scratch.
"""

import logging
import math
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from transformers import (
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    PrinterCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)

from model.pooled_head import PooledHead, pooled_features
from model.pooling import Pooling
from training.data import Examples
from training.labels import soft_targets
from training.progress import progress
from training.settings import TrainingSettings

log = logging.getLogger(__name__)

TOKENIZE_CHUNK = 1024


def precision_mode() -> str:
    if not torch.cuda.is_available():
        return "fp32"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


def should_freeze_embeddings(setting: str) -> bool:
    """On CPU the AdamW update of the 250k-row word embedding matrix (96M of the backbone's 118M
    parameters) dominates a step, and the few thousand reviews touch a tiny share of its rows."""
    return setting == "yes" or (setting == "auto" and not torch.cuda.is_available())


def freeze_lower_layers(model: torch.nn.Module, layers: int) -> int:
    """Keep the embeddings and the first `layers` encoder layers fixed; returns how many were.

    Why: a fine-tune on English only moves the shared lower layers towards English, and
    Spanish, which the head never sees, drifts with them (issue 13: Spanish accuracy fell from
    0.69 to 0.55 on evomsa-es). Fixing the lower layers keeps more of the multilingual encoder.
    """
    if layers <= 0:
        return 0
    encoder_layers = getattr(getattr(model.base_model, "encoder", None), "layer", None)
    if encoder_layers is None:
        raise ValueError(f"--freeze-layers: {type(model).__name__} has no encoder.layer list")
    layers = min(layers, len(encoder_layers))
    for module in (model.base_model.embeddings, *encoder_layers[:layers]):
        module.requires_grad_(False)
    return layers


class PooledClassifier(torch.nn.Module):
    """The encoder and the pooled head as one trainable model: features pooled as model/ pools
    them when serving, P(positive) = sigmoid(logit). Trainer reads `loss` and `logits`; the
    logits are (0, logit) so that a softmax over them is the head's sigmoid."""

    def __init__(self, encoder: torch.nn.Module, head: PooledHead, pooling: Pooling) -> None:
        super().__init__()
        self.encoder, self.head, self.pooling = encoder, head, pooling

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        labels: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        features = pooled_features(self.encoder, input_ids, attention_mask, self.pooling)
        logit = self.head.logits(features)
        result = {"logits": torch.stack([torch.zeros_like(logit), logit], dim=-1)}
        if labels is not None:
            result["loss"] = torch.nn.functional.binary_cross_entropy_with_logits(
                logit, labels.float()
            )
        return result


def tokenize(
    tokenizer,
    examples: Examples,
    max_length: int,
    description: str,
    prefix: str = "",
    targets: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Trainer rows; `labels` is the 0/1 label, or the row's target in `targets` if given."""
    rows: list[dict[str, Any]] = []
    with progress() as bars:
        task = bars.add_task(description, total=len(examples))
        for start in range(0, len(examples), TOKENIZE_CHUNK):
            texts = [prefix + text for text in examples.texts[start : start + TOKENIZE_CHUNK]]
            encoded = tokenizer(texts, truncation=True, max_length=max_length, verbose=False)
            for i, label in enumerate(examples.labels[start : start + TOKENIZE_CHUNK]):
                rows.append(
                    {
                        "input_ids": encoded["input_ids"][i],
                        "attention_mask": encoded["attention_mask"][i],
                        "labels": int(label) if targets is None else float(targets[start + i]),
                    }
                )
            bars.advance(task, len(texts))
    return rows


def validation_metrics(prediction) -> dict[str, float]:
    from sklearn.metrics import f1_score, roc_auc_score

    logits, labels = prediction.predictions, prediction.label_ids
    p = torch.softmax(torch.as_tensor(logits, dtype=torch.float32), dim=-1)[:, 1].numpy()
    return {"f1": float(f1_score(labels, p >= 0.5)), "roc_auc": float(roc_auc_score(labels, p))}


class RichProgress(TrainerCallback):
    """Rich bars for optimizer steps and validation rounds, with the latest loss and F1."""

    def __init__(self) -> None:
        self.bars = progress()
        self.train_task = None

    def on_train_begin(self, args, state, control, **kwargs):
        self.bars.start()
        self.train_task = self.bars.add_task("training", total=state.max_steps)

    def on_step_end(self, args, state, control, **kwargs):
        self.bars.update(self.train_task, completed=state.global_step)

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        shown = {
            key: logs[key]
            for key in ("loss", "eval_loss", "eval_f1", "eval_roc_auc")
            if key in logs
        }
        if shown:
            self.bars.console.log(
                f"step {state.global_step}: " + ", ".join(f"{k} {v:.4f}" for k, v in shown.items())
            )

    def on_train_end(self, args, state, control, **kwargs):
        self.bars.stop()


def fine_tune(
    model: torch.nn.Module,
    tokenizer,
    train: Examples,
    validation: Examples,
    settings: TrainingSettings,
    work_dir: Path,
    pooled: tuple[PooledHead, Pooling] | None = None,
) -> dict[str, Any]:
    """Train `model` in place (it ends holding the best validation checkpoint's weights); with
    `pooled`, its encoder under that head, which is trained in place too."""
    frozen = should_freeze_embeddings(settings.freeze_embeddings)
    if frozen:
        model.get_input_embeddings().weight.requires_grad_(False)
    frozen_layers = freeze_lower_layers(model, settings.freeze_layers)
    prefix = pooled[1].prefix if pooled else ""
    soft = pooled is not None and settings.score_target_slope > 0 and train.scores is not None
    if settings.score_target_slope > 0 and not soft:
        log.warning(
            "score_target_slope ignored: %s",
            "the first-token head trains on 0/1 labels"
            if pooled is None
            else "no training row is labelled by a score",
        )
    train_rows = tokenize(
        tokenizer,
        train,
        settings.max_length,
        "tokenizing train",
        prefix,
        soft_targets(train.labels, train.scores, settings.score_target_slope) if soft else None,
    )
    validation_rows = tokenize(
        tokenizer, validation, settings.max_length, "tokenizing validation", prefix
    )
    trained = PooledClassifier(model.base_model, *pooled) if pooled else model
    steps_per_epoch = math.ceil(len(train_rows) / settings.batch_size)
    eval_steps = max(1, steps_per_epoch // settings.evals_per_epoch)
    precision = precision_mode()
    args = TrainingArguments(
        output_dir=str(work_dir),
        num_train_epochs=settings.epochs,
        learning_rate=settings.learning_rate,
        per_device_train_batch_size=settings.batch_size,
        per_device_eval_batch_size=settings.batch_size * 2,
        weight_decay=settings.weight_decay,
        lr_scheduler_type="cosine",
        warmup_steps=settings.warmup_ratio,  # a float below 1 is a share of all steps
        eval_strategy="steps",
        eval_steps=eval_steps,
        save_strategy="steps",
        save_steps=eval_steps,
        save_total_limit=1,  # with load_best_model_at_end the best one is kept as well
        save_only_model=True,
        load_best_model_at_end=True,
        metric_for_best_model="f1",
        greater_is_better=True,
        logging_steps=eval_steps,
        train_sampling_strategy="group_by_length",  # similar lengths per batch: less padding
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        use_cpu=not torch.cuda.is_available(),
        seed=settings.seed,
        data_seed=settings.seed,
        report_to="none",
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=trained,
        args=args,
        train_dataset=train_rows,
        eval_dataset=validation_rows,
        data_collator=DataCollatorWithPadding(tokenizer, pad_to_multiple_of=8),
        compute_metrics=validation_metrics,
        callbacks=[
            EarlyStoppingCallback(early_stopping_patience=settings.early_stopping_patience),
            RichProgress(),
        ],
    )
    trainer.remove_callback(PrinterCallback)  # RichProgress shows the same, readably
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    state = trainer.state
    shutil.rmtree(work_dir, ignore_errors=True)  # intermediate checkpoints; the best is in `model`
    trained.requires_grad_(True)
    return {
        "precision": precision,
        "frozen_word_embeddings": frozen,
        "frozen_layers": frozen_layers,
        "soft_targets": soft,
        "steps": state.global_step,
        "epochs_run": float(state.epoch or 0),
        "best_step": int(Path(state.best_model_checkpoint).name.split("-")[-1])
        if state.best_model_checkpoint
        else None,
        "best_validation_f1": state.best_metric,
        "train_seconds": round(seconds, 1),
        "seconds_per_step": round(seconds / max(state.global_step, 1), 3),
        "log_history": [dict(entry) for entry in state.log_history],
    }
