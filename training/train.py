"""`reviewbot train`: data in, checkpoint folder out.

read + clean -> split -> fit (head or full) -> save -> measure validation through the served
code path -> choose the threshold there -> measure test (and any extra datasets) -> plots and
reviewbot.json. The folder is written beside its destination and renamed into place at the
end, so a crash never leaves something that looks like a finished checkpoint.
"""

import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.checkpoint import CheckpointMeta, content_hash, write_meta
from training import hashing, plots
from training.base import device, load_base, resolve_base
from training.data import DataSummary, load_data
from training.errors import DataError
from training.metrics import binary_metrics, report
from training.scoring import score_texts
from training.settings import Objective, TrainingSettings
from training.splits import Splits, split
from training.threshold import ThresholdChoice, choose_threshold

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DataOptions:
    text_column: str | None = None
    label_column: str | None = None
    group_column: str | None = None
    label_mapping: str = "auto"
    train_size: int | None = None
    test_size: int | None = None


@dataclass(frozen=True)
class ThresholdOptions:
    objective: Objective = Objective.f1
    target: float | None = None


@dataclass
class TrainResult:
    path: Path
    meta: CheckpointMeta
    #: Head mode: validation P(positive) straight from the fitted head, before saving.
    head_validation_p: np.ndarray | None = None
    served_validation_p: np.ndarray | None = field(default=None, repr=False)


def _fit(
    model, tokenizer, splits, settings: TrainingSettings, work_dir: Path
) -> tuple[dict[str, Any], np.ndarray | None]:
    if settings.mode == "full":
        from training.full import fine_tune

        return fine_tune(
            model, tokenizer, splits.train, splits.validation, settings, work_dir
        ), None
    from training.head import embed, fit_head, head_probabilities

    model.eval()
    train_states = embed(
        model, tokenizer, splits.train.texts, settings.max_length, "embedding train"
    )
    val_states = embed(
        model, tokenizer, splits.validation.texts, settings.max_length, "embedding validation"
    )
    summary = fit_head(
        model,
        (train_states, splits.train.labels),
        (val_states, splits.validation.labels),
        epochs=settings.head_epochs,
        learning_rate=settings.head_learning_rate,
        weight_decay=settings.weight_decay,
        seed=settings.seed,
    )
    return summary, head_probabilities(model, val_states)


def _evaluate_extra(
    classifier, name: str, settings: TrainingSettings, threshold: float
) -> dict[str, Any]:
    try:
        examples, summary = load_data(name, settings.cache_dir(), dead_zone=settings.dead_zone)
    except DataError as exc:
        # An extra measurement is a bonus: a missing dataset must not cost the trained model.
        log.warning("not measured on %s: %s", name, exc)
        return {"error": str(exc)}
    p, languages = score_texts(classifier, examples.texts, f"scoring {name}")
    return {"data": summary.model_dump(), **report(examples.labels, p, threshold, languages)}


def prepare_output(out: Path, overwrite: bool) -> Path:
    """A fresh staging folder beside `out`; refuses to replace an existing folder unless told to."""
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise DataError(
            f"{out} already exists and is not empty; choose another --out or pass --overwrite"
        )
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def _prepare(data: str, settings: TrainingSettings, options: DataOptions):
    examples, data_summary = load_data(
        data,
        settings.cache_dir(),
        options.text_column,
        options.label_column,
        options.group_column,
        options.label_mapping,
        settings.dead_zone,
    )
    _log_data(data_summary)
    splits, split_summary = split(
        examples,
        settings.val_fraction,
        settings.test_fraction,
        settings.seed,
        options.train_size,
        options.test_size,
    )
    log.info("splits (%s): %s", split_summary.kind, split_summary.sizes)
    return splits, data_summary, split_summary


def _measure(
    staging: Path,
    splits: Splits,
    settings: TrainingSettings,
    threshold_options: ThresholdOptions,
    also_evaluate: tuple[str, ...],
) -> tuple[ThresholdChoice, dict[str, Any], np.ndarray, np.ndarray]:
    """Score validation through model.load, choose the threshold there, only then score test."""
    from model import ModelSettings, load

    classifier = load(staging, ModelSettings(max_length=settings.max_length, device=device()))
    p_val, _ = score_texts(classifier, splits.validation.texts, "scoring validation")
    choice = choose_threshold(
        splits.validation.labels, p_val, threshold_options.objective, threshold_options.target
    )
    p_test, test_languages = score_texts(classifier, splits.test.texts, "scoring test")
    metrics: dict[str, Any] = {
        "test": report(splits.test.labels, p_test, choice.threshold, test_languages),
        "validation": binary_metrics(splits.validation.labels, p_val, choice.threshold),
        "extra": {
            name: _evaluate_extra(classifier, name, settings, choice.threshold)
            for name in also_evaluate
        },
    }
    return choice, metrics, p_val, p_test


def train(
    data: str,
    out: Path,
    settings: TrainingSettings | None = None,
    data_options: DataOptions = DataOptions(),
    threshold_options: ThresholdOptions = ThresholdOptions(),
    also_evaluate: tuple[str, ...] = (),
    overwrite: bool = False,
) -> TrainResult:
    settings = settings or TrainingSettings()
    started = time.perf_counter()
    out = Path(out).expanduser().resolve()
    staging = prepare_output(out, overwrite)
    try:
        result = _train_into(
            staging, data, settings, data_options, threshold_options, also_evaluate, started
        )
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    result.path = out
    return result


def _train_into(
    staging: Path,
    data: str,
    settings: TrainingSettings,
    data_options: DataOptions,
    threshold_options: ThresholdOptions,
    also_evaluate: tuple[str, ...],
    started: float,
) -> TrainResult:
    import torch

    splits, data_summary, split_summary = _prepare(data, settings, data_options)
    torch.manual_seed(settings.seed)
    base = resolve_base(settings.base_model)
    model, tokenizer = load_base(base, device())
    fit_summary, head_validation_p = _fit(model, tokenizer, splits, settings, staging / "trainer")
    model.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    del model
    # Provisional threshold so that model.load accepts the folder; the real one is chosen next.
    write_meta(staging, CheckpointMeta(threshold=0.5, base_model=base))
    choice, metrics, p_val, p_test = _measure(
        staging, splits, settings, threshold_options, also_evaluate
    )
    plot_files = plots.write_plots(
        staging / "plots",
        (splits.validation.labels, p_val),
        (splits.test.labels, p_test),
        choice.threshold,
    )
    meta = CheckpointMeta(
        threshold=choice.threshold,
        metrics=metrics,
        base_model=base,
        threshold_choice=choice.model_dump(),
        data=data_summary.model_dump(),
        splits=split_summary.model_dump(),
        training={
            "mode": settings.mode,
            "settings": settings.model_dump(mode="json"),
            **fit_summary,
        },
        data_hash=hashing.data_hash(splits),
        content_hash=content_hash(staging, choice.threshold),
        plots=[str(path.relative_to(staging)) for path in plot_files],
        seconds=round(time.perf_counter() - started, 1),
    )
    write_meta(staging, meta)
    return TrainResult(staging, meta, head_validation_p, p_val)


def _log_data(summary: DataSummary) -> None:
    for role, column in summary.columns.items():
        log.info("%s column: %s (%s)", role, column, summary.reasons[role])
    log.info(
        "labels: %s (%s); kept %d of %d rows, dropped %s; %d positive / %d negative",
        summary.label_mapping, summary.label_mapping_reason, summary.rows_kept, summary.rows_read,
        summary.dropped or "none", summary.positives, summary.negatives,
    )  # fmt: skip
