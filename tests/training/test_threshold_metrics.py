"""Threshold choice on validation predictions and metrics against scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from training.errors import DataError
from training.metrics import binary_metrics, report
from training.threshold import choose_threshold

LABELS = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1, 0])
P = np.array([0.10, 0.20, 0.35, 0.60, 0.40, 0.55, 0.70, 0.80, 0.90, 0.65])


def test_metrics_on_a_known_case_match_hand_counts_and_scikit_learn() -> None:
    metrics = binary_metrics(LABELS, P, threshold=0.5)
    # Predicted positive: 0.60 (neg), 0.55, 0.70, 0.80, 0.90 (pos), 0.65 (neg) -> tp 4, fp 2, fn 1, tn 3.
    assert metrics["confusion_matrix"] == [[3, 2], [1, 4]]
    assert metrics["accuracy"] == pytest.approx(0.7)
    assert metrics["precision"] == pytest.approx(4 / 6)
    assert metrics["recall"] == pytest.approx(4 / 5)
    assert metrics["f1"] == pytest.approx(2 * 4 / (2 * 4 + 2 + 1))
    predicted = P >= 0.5
    assert metrics["accuracy"] == accuracy_score(LABELS, predicted)
    assert metrics["precision"] == precision_score(LABELS, predicted)
    assert metrics["recall"] == recall_score(LABELS, predicted)
    assert metrics["f1"] == f1_score(LABELS, predicted)
    assert metrics["roc_auc"] == roc_auc_score(LABELS, P)


def test_threshold_is_inclusive_and_uses_served_rounding() -> None:
    # The served model rounds P to 4 decimals and says positive when P >= threshold.
    metrics = binary_metrics(np.array([1, 0]), np.array([0.499996, 0.49994]), threshold=0.5)
    assert metrics["confusion_matrix"] == [[1, 0], [0, 1]]


def test_per_language_metrics() -> None:
    languages = ["en"] * 5 + ["es"] * 5
    result = report(LABELS, P, 0.5, languages)
    assert set(result["per_language"]) == {"en", "es"}
    assert result["per_language"]["en"]["n"] == 5
    assert result["per_language"]["es"]["accuracy"] == accuracy_score(LABELS[5:], P[5:] >= 0.5)
    assert result["at_0.5"] == binary_metrics(LABELS, P, 0.5)


def test_f1_threshold_is_the_best_on_the_given_predictions() -> None:
    choice = choose_threshold(LABELS, P)
    grid_best = max(f1_score(LABELS, P >= t) for t in np.unique(P))
    assert choice.validation_f1 == pytest.approx(grid_best)
    assert f1_score(LABELS, P >= choice.threshold) == pytest.approx(grid_best)
    assert choice.threshold in P


def test_target_precision_and_recall() -> None:
    by_precision = choose_threshold(LABELS, P, "precision", 0.75)
    assert precision_score(LABELS, P >= by_precision.threshold) >= 0.75
    # The lowest such threshold: one step lower misses the target.
    lower = P[P < by_precision.threshold].max()
    assert precision_score(LABELS, P >= lower) < 0.75
    by_recall = choose_threshold(LABELS, P, "recall", 1.0)
    assert recall_score(LABELS, P >= by_recall.threshold) == 1.0
    assert recall_score(LABELS, P >= P[P > by_recall.threshold].min()) < 1.0
    with pytest.raises(DataError, match="no threshold reaches"):
        choose_threshold(np.array([0, 1]), np.array([0.9, 0.1]), "precision", 1.0)
