"""`reviewbot evaluate`: a checkpoint's metrics, at its stored thresholds (each review decided by
its detected language's threshold, as served), on any labelled data; overall and per language,
with a reliability diagram per language."""

from pathlib import Path
from typing import Any

import numpy as np

from training import plots
from training.base import device
from training.data import Examples, load_data
from training.metrics import report
from training.scoring import score_texts
from training.settings import TrainingSettings
from training.train import DataOptions


def evaluate(
    checkpoint: Path,
    data: str,
    settings: TrainingSettings | None = None,
    data_options: DataOptions | None = None,
    plots_dir: Path | None = None,
) -> dict[str, Any]:
    """The checkpoint's metrics, at its stored threshold, on every usable row of `data`."""
    from model import ModelSettings, load

    settings = settings or TrainingSettings()
    data_options = data_options or DataOptions()
    classifier = load(checkpoint, ModelSettings(max_length=settings.max_length, device=device()))
    examples, summary = load_data(
        data, settings.cache_dir(), data_options.text_column, data_options.label_column,
        data_options.group_column, data_options.label_mapping, settings.dead_zone,
    )  # fmt: skip
    p, languages = score_texts(classifier, examples.texts, f"scoring {data}")
    result = {
        "checkpoint": str(classifier.path),
        "model_version": classifier.version,
        "data": summary.model_dump(),
    }
    meta = classifier.meta
    result.update(report(examples.labels, p, meta.threshold, languages, meta.thresholds))
    if plots_dir is not None:
        result["plots"] = [
            str(path) for path in _evaluation_plots(plots_dir, examples, p, languages, classifier)
        ]
    return result


def _evaluation_plots(
    folder: Path, examples: Examples, p: np.ndarray, languages: list, classifier
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    threshold = classifier.meta.threshold
    curves = {"data": (examples.labels, p)}
    detected = np.asarray([str(language) for language in languages])
    diagrams = []
    for language in sorted(set(detected.tolist())):
        rows = detected == language
        own, scope = classifier.meta.threshold_for(language)
        diagrams.append(
            plots.reliability(
                examples.labels[rows], p[rows], own, folder / f"reliability_{language}.png",
                f"Reliability, {language} ({int(rows.sum())} reviews, {scope} threshold)",
            )
        )  # fmt: skip
    return [
        *diagrams,
        plots.pr_curve(curves, threshold, folder / "pr_curve.png"),
        plots.f1_vs_threshold(curves, threshold, folder / "f1_vs_threshold.png"),
        plots.confusion(
            examples.labels,
            p,
            threshold,
            folder / "confusion_matrix.png",
            f"threshold {threshold:.4f}",
        ),
    ]
