"""Classification metrics at a threshold, computed with scikit-learn, overall and per language."""

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


def binary_metrics(labels: np.ndarray, p_positive: np.ndarray, threshold: float) -> dict[str, Any]:
    """Accuracy, precision, recall and F1 of the positive class, ROC-AUC and the confusion matrix
    ([[tn, fp], [fn, tp]]) when P(positive) >= threshold means positive."""
    labels = np.asarray(labels)
    p = np.round(np.asarray(p_positive, dtype=np.float64), DECISION_DECIMALS)
    predicted = (p >= threshold).astype(np.int64)
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
    labels: np.ndarray, p_positive: np.ndarray, threshold: float, languages: Sequence[str]
) -> dict[str, Any]:
    """Metrics at the chosen threshold and at 0.5, and at the chosen threshold per language."""
    languages = np.asarray([str(language) for language in languages])
    return {
        "at_threshold": binary_metrics(labels, p_positive, threshold),
        "at_0.5": binary_metrics(labels, p_positive, 0.5),
        "per_language": {
            language: binary_metrics(
                labels[languages == language],
                np.asarray(p_positive)[languages == language],
                threshold,
            )
            for language in sorted(set(languages.tolist()))
        },
    }
