"""Classification metrics at a threshold (or at each row's language's threshold), computed with
scikit-learn, overall and per language."""

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    precision_recall_fscore_support,
    roc_auc_score,
)

from model.classifier import DECISION_DECIMALS


def binary_metrics(
    labels: np.ndarray, p_positive: np.ndarray, threshold: float | np.ndarray
) -> dict[str, Any]:
    """Accuracy, precision, recall and F1 of the positive class, ROC-AUC and the confusion matrix
    ([[tn, fp], [fn, tp]]) when P(positive) >= threshold means positive. `threshold` may hold one
    value per row (each row's language's threshold); `threshold` in the result is then the
    mean (one value when all rows share it)."""
    labels = np.asarray(labels)
    p = np.round(np.asarray(p_positive, dtype=np.float64), DECISION_DECIMALS)
    predicted = (p >= threshold).astype(np.int64)
    threshold = float(np.mean(threshold)) if np.ndim(threshold) and len(labels) else threshold
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, predicted, average="binary", pos_label=1, zero_division=0
    )
    both_classes = len(np.unique(labels)) == 2
    return {
        "n": len(labels),
        "positives": int(labels.sum()),
        "threshold": float(threshold),
        "accuracy": float(accuracy_score(labels, predicted)),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        # AUC is undefined when the data holds one class only.
        "roc_auc": float(roc_auc_score(labels, p)) if both_classes else None,
        "confusion_matrix": confusion_matrix(labels, predicted, labels=[0, 1]).tolist(),
    }


def report(
    labels: np.ndarray,
    p_positive: np.ndarray,
    threshold: float,
    languages: Sequence[str],
    thresholds: dict[str, float] | None = None,
    sources: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Metrics at the chosen thresholds (each row decided by its detected language's own
    threshold when `thresholds` has one, else by `threshold`) and at 0.5, overall and per
    language. Each language's entry says which threshold decided it (`threshold_scope`).
    With rows from several `sources` (datasets trained on together), also per source at the
    chosen thresholds: how each dataset's own test rows fare in the mix."""
    languages = np.asarray([str(language) for language in languages])
    thresholds = thresholds or {}
    labels = np.asarray(labels)
    p_positive = np.asarray(p_positive)
    per_row = np.asarray([thresholds.get(language, threshold) for language in languages])
    at_threshold = binary_metrics(labels, p_positive, per_row if thresholds else threshold)
    if thresholds:
        at_threshold["threshold"] = float(threshold)
        at_threshold["thresholds"] = dict(thresholds)
    per_language = {}
    for language in sorted(set(languages.tolist())):
        rows = languages == language
        own = thresholds.get(language)
        per_language[language] = {
            **binary_metrics(labels[rows], p_positive[rows], threshold if own is None else own),
            "threshold_scope": "overall" if own is None else language,
        }
    result = {
        "at_threshold": at_threshold,
        "at_0.5": binary_metrics(labels, p_positive, 0.5),
        "per_language": per_language,
    }
    if sources is not None and len(set(sources)) > 1:
        origin = np.asarray(sources)
        result["per_source"] = {
            source: binary_metrics(labels[origin == source], p_positive[origin == source],
                                   per_row[origin == source])
            for source in dict.fromkeys(sources)
        }  # fmt: skip
    return result
