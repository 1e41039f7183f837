"""P(positive) for labelled texts through the served code path (model.load), so the metrics
measure exactly what a person gets: same truncation, batching, rounding and language detection."""

from collections.abc import Sequence

import numpy as np

from model import Classifier
from reviewbot.messages import Language
from training.progress import progress

#: Texts per progress update; large enough that batching inside the classifier stays efficient.
CHUNK = 512


def score_texts(
    classifier: Classifier, texts: Sequence[str], description: str
) -> tuple[np.ndarray, list[Language]]:
    p = np.empty(len(texts), dtype=np.float64)
    languages: list[Language] = []
    with progress() as bars:
        task = bars.add_task(description, total=len(texts))
        for start in range(0, len(texts), CHUNK):
            encoded = classifier.encode(texts[start : start + CHUNK])
            p[start : start + len(encoded)] = classifier.probabilities(encoded.ids)
            languages.extend(encoded.languages)
            bars.advance(task, len(encoded))
    return p, languages
