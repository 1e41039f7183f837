"""Classify a batch so that one bad review cannot take its batch-mates down with it."""

import logging
from collections.abc import Sequence

from model import Classifier
from reviewbot.messages import Prediction

log = logging.getLogger(__name__)


def classify_isolated(classifier: Classifier, texts: Sequence[str]) -> list[Prediction | str]:
    """Predictions for `texts`; where a text cannot be classified, the error as a string.

    Bisects on failure: a batch with one poison review costs about 2·log2(n) extra forward
    passes, and every other review still gets its verdict.
    """
    try:
        return list(classifier.predict(texts))
    except Exception as exc:  # noqa: BLE001 - any model failure is isolated, never fatal
        if len(texts) == 1:
            log.warning("a review could not be classified: %s: %s", type(exc).__name__, exc)
            return [f"{type(exc).__name__}: {exc}"]
    middle = len(texts) // 2
    return classify_isolated(classifier, texts[:middle]) + classify_isolated(
        classifier, texts[middle:]
    )
