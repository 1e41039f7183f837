"""The decision thresholds, chosen on validation predictions only: one overall, and one per
detected language that has enough validation rows of its own.

Probabilities are rounded exactly as the served model rounds them (model.classifier), so the
label the threshold gives here is the label a person gets.
"""

from collections.abc import Sequence

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


#: The languages a checkpoint may carry a threshold for (model/language.py's answers).
LANGUAGES = ("en", "es", "other")
#: Each class must make up at least this share of a language's validation rows for its own
#: threshold: with almost only one class, the F1-best threshold is meaningless.
MIN_CLASS_SHARE = 0.2


class LanguageThreshold(BaseModel):
    language: str
    validation_rows: int
    validation_positives: int
    #: Its own threshold, chosen on its rows; None: too few rows, the overall one applies.
    choice: ThresholdChoice | None
    reason: str


class Thresholds(BaseModel):
    overall: ThresholdChoice
    languages: list[LanguageThreshold]

    def per_language(self) -> dict[str, float]:
        """What reviewbot.json's `thresholds` holds: the languages that have their own."""
        return {t.language: t.choice.threshold for t in self.languages if t.choice is not None}

    def for_rows(self, languages: Sequence[str]) -> np.ndarray:
        """The threshold that decides each row, by its detected language."""
        own = self.per_language()
        return np.asarray(
            [own.get(str(language), self.overall.threshold) for language in languages]
        )


def choose_thresholds(
    labels: np.ndarray,
    p_positive: np.ndarray,
    languages: Sequence[str],
    min_rows: int,
    objective: Objective = Objective.f1,
    target: float | None = None,
) -> Thresholds:
    """The overall threshold on every validation row; a language's own on its rows when it has
    at least `min_rows` of them with both classes well represented (else the overall one)."""
    labels = np.asarray(labels)
    p_positive = np.asarray(p_positive)
    detected = np.asarray([str(language) for language in languages])
    overall = choose_threshold(labels, p_positive, objective, target)
    result = []
    for language in LANGUAGES:
        rows = detected == language
        n, positives = int(rows.sum()), int(labels[rows].sum())
        smaller = min(positives, n - positives)
        if n < min_rows:
            choice, reason = None, f"{n} validation rows, fewer than {min_rows}: overall threshold"
        elif smaller < MIN_CLASS_SHARE * n:
            choice = None
            reason = f"{n} validation rows but only {smaller} of one class: overall threshold"
        else:
            try:
                choice = choose_threshold(labels[rows], p_positive[rows], objective, target)
                reason = f"chosen on its {n} validation rows"
            except DataError as exc:
                choice, reason = None, f"{exc}: overall threshold"
        result.append(LanguageThreshold(
            language=language, validation_rows=n, validation_positives=positives,
            choice=choice, reason=reason,
        ))  # fmt: skip
    return Thresholds(overall=overall, languages=result)
