"""`reviewbot train`: data in, checkpoint folder out.

read + clean (one source or several) -> split -> fit (head or full) -> save -> measure
validation through the served code path -> choose the thresholds there (overall and per
language) -> measure test (and any extra datasets) -> plots and reviewbot.json. The folder is written beside its destination and renamed into place at the
end, so a crash never leaves something that looks like a finished checkpoint.
"""

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.checkpoint import CheckpointMeta, content_hash, make_readable, write_meta
from model.pooled_head import PooledHead
from model.pooling import Pooling
from training import hashing, plots
from training.base import device, load_base, resolve_base
from training.data import DataSummary, Examples, load_data, load_sources
from training.errors import DataError
from training.metrics import report
from training.scoring import score_texts
from training.settings import Objective, TrainingSettings
from training.splits import Splits, split
from training.threshold import Thresholds, choose_thresholds

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DataOptions:
    text_column: str | None = None
    label_column: str | None = None
    group_column: str | None = None
    label_mapping: str = "auto"
    train_size: int | None = None
    test_size: int | None = None
    #: Weight of each training row of a source (by the name given to --data; default 1): a small
    #: Spanish set beside 7,500 English snippets needs weight to move the head (measured in
    #: docs/training.md). Pooled head: logistic-regression sample weights; other modes repeat
    #: the source's training rows round(weight) times.
    source_weights: tuple[tuple[str, float], ...] = ()


def row_weights(examples: Examples, source_weights: dict[str, float]) -> np.ndarray | None:
    """Each row's weight by its source; None when no weights are given."""
    if not source_weights or examples.sources is None:
        return None
    return np.asarray([source_weights.get(source, 1.0) for source in examples.sources])


def repeat_weighted(
    examples: Examples, source_weights: dict[str, float], seed: int = 0
) -> Examples:
    """Training rows repeated by their source's weight W, so that a source's rows are seen W
    times on average: each row floor(W) times, and a seeded share W - floor(W) of them once
    more (W = 0.3 keeps 30% of the rows, W = 2.5 repeats each twice and half of them again)."""
    weights = row_weights(examples, source_weights)
    if weights is None:
        return examples
    repeats = np.floor(weights).astype(int)
    rng = np.random.default_rng(seed)
    sources = np.asarray(examples.sources)
    for source, weight in source_weights.items():
        rows = np.flatnonzero(sources == source)
        extra = round((weight - np.floor(weight)) * len(rows))
        repeats[rng.choice(rows, size=extra, replace=False)] += 1
    return examples.subset(np.repeat(np.arange(len(examples)), repeats))


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


@dataclass
class Fitted:
    summary: dict[str, Any]
    #: Head mode: validation P(positive) straight from the fitted head, before saving.
    head_validation_p: np.ndarray | None = None
    #: Mean pooling: the head and how it pools (the encoder is saved without its own head).
    pooled: tuple[PooledHead, Pooling] | None = None


def _fit(
    model,
    tokenizer,
    splits,
    settings: TrainingSettings,
    base: str,
    work_dir: Path,
    source_weights: dict[str, float],
) -> Fitted:
    if settings.mode == "full":
        from training.full import fine_tune

        probe = None
        if settings.head_pooling == "mean":  # the head fitted first, then tuned with the encoder
            probe = _fit_pooled(model, tokenizer, splits, settings, base, source_weights)
        train = repeat_weighted(splits.train, source_weights, settings.seed)
        pooled = probe.pooled if probe else None
        summary = fine_tune(model, tokenizer, train, splits.validation, settings, work_dir, pooled)
        if probe is None:
            return Fitted({"head_pooling": "first-token", **summary})
        return Fitted(
            {"head_pooling": "mean", "linear_probe": probe.summary, **summary}, pooled=pooled
        )
    if settings.head_pooling == "mean":
        return _fit_pooled(model, tokenizer, splits, settings, base, source_weights)
    splits = Splits(
        repeat_weighted(splits.train, source_weights, settings.seed),
        splits.validation,
        splits.test,
    )
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
    return Fitted({"head_pooling": "first-token", **summary}, head_probabilities(model, val_states))


def _fit_pooled(
    model, tokenizer, splits, settings: TrainingSettings, base: str, source_weights
) -> Fitted:
    from training.pooled import default_prefix, features, fit_logistic, head_probabilities

    model.eval()
    pooling = Pooling(
        prefix=default_prefix(base, settings.head_prefix),
        layers=tuple(-1 - i * settings.head_layer_step for i in range(settings.head_layers)),
        normalize=True,
    )
    encoder = model.base_model
    available = encoder.config.num_hidden_layers + 1  # the embeddings' output counts as one
    if -min(pooling.layers) > available:
        raise DataError(
            f"--head-layers {settings.head_layers} with --head-layer-step "
            f"{settings.head_layer_step} reaches {-min(pooling.layers)} layers down; "
            f"the base model has {available} hidden states"
        )
    x_train = features(
        encoder, tokenizer, splits.train.texts, pooling, settings.max_length, "embedding train"
    )
    x_val = features(
        encoder, tokenizer, splits.validation.texts, pooling, settings.max_length,
        "embedding validation",
    )  # fmt: skip
    head, summary = fit_logistic(
        x_train, splits.train.labels, settings.head_c, settings.seed,
        row_weights(splits.train, source_weights),
    )  # fmt: skip
    summary = {
        "head_pooling": "mean",
        "pooling": pooling.model_dump(mode="json"),
        "source_weights": source_weights,
        **summary,
    }
    return Fitted(summary, head_probabilities(head, x_val), (head, pooling))


def _save_model(model, tokenizer, fitted: Fitted, staging: Path) -> Pooling | None:
    """The folder model.load serves. With a pooled head: the encoder alone (`AutoModel` loads
    it; BERT's pooler, never trained for e5, is left out) plus the head's own file."""
    tokenizer.save_pretrained(staging)
    if fitted.pooled is None:
        model.save_pretrained(staging)
        return None
    head, pooling = fitted.pooled
    encoder = model.base_model
    if getattr(encoder, "pooler", None) is not None:
        encoder.pooler = None
        encoder.config.add_pooling_layer = False
    encoder.save_pretrained(staging)
    head.save(staging)
    return pooling


def _evaluate_extra(
    classifier, name: str, settings: TrainingSettings, thresholds: Thresholds
) -> dict[str, Any]:
    try:
        examples, summary = load_data(name, settings.cache_dir(), dead_zone=settings.dead_zone)
    except DataError as exc:
        # An extra measurement is a bonus: a missing dataset must not cost the trained model.
        log.warning("not measured on %s: %s", name, exc)
        return {"error": str(exc)}
    p, languages = score_texts(classifier, examples.texts, f"scoring {name}")
    return {
        "data": summary.model_dump(),
        **report(
            examples.labels, p, thresholds.overall.threshold, languages,
            thresholds.per_language(),
        ),
    }  # fmt: skip


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


def prepare(data: str | Path | list[str], settings: TrainingSettings, options: DataOptions):
    examples, data_summary = load_sources(
        [str(source) for source in data] if isinstance(data, list | tuple) else [str(data)],
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
) -> tuple[Thresholds, dict[str, Any], np.ndarray, np.ndarray]:
    """Score validation through model.load, choose the thresholds there, only then score test."""
    from model import ModelSettings, load

    classifier = load(staging, ModelSettings(max_length=settings.max_length, device=device()))
    p_val, val_languages = score_texts(classifier, splits.validation.texts, "scoring validation")
    thresholds = choose_thresholds(
        splits.validation.labels, p_val, val_languages, settings.language_threshold_min_rows,
        threshold_options.objective, threshold_options.target,
    )  # fmt: skip
    for language in thresholds.languages:
        log.info("threshold %s: %s", language.language, language.reason)
    overall, own = thresholds.overall.threshold, thresholds.per_language()
    p_test, test_languages = score_texts(classifier, splits.test.texts, "scoring test")
    metrics: dict[str, Any] = {
        "test": report(
            splits.test.labels, p_test, overall, test_languages, own, splits.test.sources
        ),
        "validation": report(splits.validation.labels, p_val, overall, val_languages, own),
        "extra": {
            name: _evaluate_extra(classifier, name, settings, thresholds) for name in also_evaluate
        },
    }
    return thresholds, metrics, p_val, p_test


def train(
    data: str | Path | list[str],
    out: Path,
    settings: TrainingSettings | None = None,
    data_options: DataOptions = DataOptions(),
    threshold_options: ThresholdOptions = ThresholdOptions(),
    also_evaluate: tuple[str, ...] = (),
    overwrite: bool = False,
) -> TrainResult:
    settings = settings or TrainingSettings()
    started = time.perf_counter()
    return write_checkpoint(
        out,
        overwrite,
        lambda staging: _train_into(
            staging, data, settings, data_options, threshold_options, also_evaluate, started
        ),
    )


def write_checkpoint(
    out: Path, overwrite: bool, build: Callable[[Path], TrainResult]
) -> TrainResult:
    """`build` fills a staging folder beside `out`, which is renamed into place only when
    it returns: a failed run leaves nothing behind."""
    out = Path(out).expanduser().resolve()
    staging = prepare_output(out, overwrite)
    try:
        result = build(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    make_readable(staging)
    if out.exists():
        shutil.rmtree(out)
    staging.rename(out)
    result.path = out
    return result


def _train_into(
    staging: Path,
    data: str | Path | list[str],
    settings: TrainingSettings,
    data_options: DataOptions,
    threshold_options: ThresholdOptions,
    also_evaluate: tuple[str, ...],
    started: float,
) -> TrainResult:
    import torch

    splits, data_summary, split_summary = prepare(data, settings, data_options)
    torch.manual_seed(settings.seed)
    base = resolve_base(settings.base_model)
    model, tokenizer = load_base(base, device())
    fitted = _fit(
        model, tokenizer, splits, settings, base, staging / "trainer",
        _source_weights(data, data_options),
    )  # fmt: skip
    pooling = _save_model(model, tokenizer, fitted, staging)
    del model
    training = {
        "mode": settings.mode,
        "settings": settings.model_dump(mode="json"),
        **fitted.summary,
    }
    meta, p_val = finish(
        staging, (splits, data_summary, split_summary), settings, threshold_options,
        also_evaluate, MetaBase(base_model=base, pooling=pooling, training=training), started,
    )  # fmt: skip
    return TrainResult(staging, meta, fitted.head_validation_p, p_val)


@dataclass(frozen=True)
class MetaBase:
    """What a run's reviewbot.json says of how its weights were made."""

    base_model: str | None
    pooling: Pooling | None
    training: dict[str, Any]


def finish(
    staging: Path,
    prepared: tuple[Splits, DataSummary, Any],
    settings: TrainingSettings,
    threshold_options: ThresholdOptions,
    also_evaluate: tuple[str, ...],
    made: MetaBase,
    started: float,
) -> tuple[CheckpointMeta, np.ndarray]:
    """Weights saved in `staging` -> thresholds chosen on validation, test and extra sets
    measured, plots, reviewbot.json; returns the meta and validation's P(positive)."""
    splits, data_summary, split_summary = prepared
    # Provisional threshold so that model.load accepts the folder; the real ones are chosen next.
    write_meta(
        staging, CheckpointMeta(threshold=0.5, base_model=made.base_model, pooling=made.pooling)
    )
    thresholds, metrics, p_val, p_test = _measure(
        staging, splits, settings, threshold_options, also_evaluate
    )
    plot_files = plots.write_plots(
        staging / "plots",
        (splits.validation.labels, p_val),
        (splits.test.labels, p_test),
        thresholds.overall.threshold,
    )
    meta = CheckpointMeta(
        threshold=thresholds.overall.threshold,
        thresholds=thresholds.per_language(),
        pooling=made.pooling,
        metrics=metrics,
        base_model=made.base_model,
        threshold_choice=thresholds.overall.model_dump(),
        language_thresholds=[t.model_dump() for t in thresholds.languages],
        data=data_summary.model_dump(),
        splits=split_summary.model_dump(),
        training=made.training,
        data_hash=hashing.data_hash(splits),
        plots=[str(path.relative_to(staging)) for path in plot_files],
        seconds=round(time.perf_counter() - started, 1),
    )
    meta.content_hash = content_hash(staging, meta)
    write_meta(staging, meta)
    return meta, p_val


def _source_weights(data, options: DataOptions) -> dict[str, float]:
    weights = {str(name): float(weight) for name, weight in options.source_weights}
    names = [str(source) for source in data] if isinstance(data, list | tuple) else [str(data)]
    unknown = set(weights) - set(names)
    if unknown:
        raise DataError(
            f"a weight is given for {', '.join(sorted(unknown))}, which is not among the --data "
            f"sources ({', '.join(names)})"
        )
    if any(weight <= 0 for weight in weights.values()):
        raise DataError(f"source weights must be positive: {weights}")
    return weights


def _log_data(summary: DataSummary) -> None:
    for role, column in summary.columns.items():
        log.info("%s column: %s (%s)", role, column, summary.reasons[role])
    log.info(
        "labels: %s (%s); kept %d of %d rows, dropped %s; %d positive / %d negative",
        summary.label_mapping, summary.label_mapping_reason, summary.rows_kept, summary.rows_read,
        summary.dropped or "none", summary.positives, summary.negatives,
    )  # fmt: skip
