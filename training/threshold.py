"""The decision threshold, chosen on validation predictions only.

Probabilities are rounded exactly as the served model rounds them (model.classifier), so the
label the threshold gives here is the label a person gets.
"""

import numpy as np
from pydantic import BaseModel
from sklearn.metrics import precision_recall_curve

from model.classifier import DECISION_DECIMALS
from training.errors import DataError
from training.settings import Objective

#: model/checkpoint.py accepts thresholds strictly inside (0, 1).
LOWEST, HIGHEST = 10**-DECISION_DECIMALS, 1 - 10**-DECISION_DECIMALS


class ThresholdChoice(BaseModel):
    threshold: float
    objective: Objective
    target: float | None = None
    #: Precision, recall and F1 on the validation split at the chosen threshold.
    validation_precision: float
    validation_recall: float
    validation_f1: float


def choose_threshold(
    labels: np.ndarray,
    p_positive: np.ndarray,
    objective: Objective = Objective.f1,
    target: float | None = None,
) -> ThresholdChoice:
    """`f1`: maximize F1 of the positive class. `precision`: the lowest threshold whose precision
    reaches `target` (so the most recall at that precision). `recall`: the highest threshold
    whose recall still reaches `target` (so the most precision at that recall)."""
    p = np.round(np.asarray(p_positive, dtype=np.float64), DECISION_DECIMALS)
    precision, recall, thresholds = precision_recall_curve(labels, p)
    # The last (precision 1, recall 0) point has no threshold.
    precision, recall = precision[:-1], recall[:-1]
    f1 = np.divide(
        2 * precision * recall,
        precision + recall,
        out=np.zeros_like(precision),
        where=precision + recall > 0,
    )
    if objective == "f1":
        best = int(np.argmax(f1))
    else:
        if target is None or not 0 < target <= 1:
            raise DataError(f"a target {objective} in (0, 1] is needed, got {target}")
        reached = np.flatnonzero((precision if objective == "precision" else recall) >= target)
        if reached.size == 0:
            raise DataError(f"no threshold reaches {objective} {target} on the validation split")
        # thresholds ascend: the first index is the lowest threshold, the last the highest.
        best = int(reached[0] if objective == "precision" else reached[-1])
    return ThresholdChoice(
        threshold=float(np.clip(thresholds[best], LOWEST, HIGHEST)),
        objective=objective,
        target=target,
        validation_precision=float(precision[best]),
        validation_recall=float(recall[best]),
        validation_f1=float(f1[best]),
    )
