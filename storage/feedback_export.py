"""Training data from feedback: reviews with the label people say is right (`reviewbot export-feedback`).

The file has the columns the training package reads directly: `text`, `label` (1 = positive,
0 = negative) and `language`, plus `review_id` and `model_label` for inspection.
"""

import csv
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from reviewbot.messages import Label

FORMATS = (".csv", ".jsonl")
COLUMNS = ("text", "label", "language", "review_id", "model_label")


@dataclass(frozen=True)
class ExportSummary:
    written: int
    #: Reviews whose feedback is split evenly between the labels: no label to learn from.
    conflicting: int


def feedback_rows(store, corrections_only: bool = False) -> tuple[list[dict], int]:
    """One row per review with feedback and text, labelled by the majority of its feedback,
    and the number of reviews left out because their feedback is evenly split."""
    rows = store.feedback_votes()
    by_review: dict[str, tuple[tuple, Counter]] = {}
    for review_id, text, language, model_label, user_label in rows:
        by_review.setdefault(review_id, ((review_id, text, language, model_label), Counter()))[1][
            user_label
        ] += 1
    exported, conflicting = [], 0
    for (review_id, text, language, model_label), votes in by_review.values():
        (top, top_votes), *rest = votes.most_common()
        if rest and rest[0][1] == top_votes:
            conflicting += 1
            continue
        if corrections_only and top == model_label:
            continue
        exported.append(
            {
                "text": text,
                "label": int(top == Label.POSITIVE),
                "language": language.value if language else "",
                "review_id": review_id,
                "model_label": model_label.value if model_label else "",
            }
        )
    return exported, conflicting


def export_feedback(store, out: Path, corrections_only: bool = False) -> ExportSummary:
    """Write the feedback-labelled reviews to `out` (.csv or .jsonl, by its suffix)."""
    if out.suffix not in FORMATS:
        raise ValueError(f"{out}: the file name must end in {' or '.join(FORMATS)}")
    rows, conflicting = feedback_rows(store, corrections_only)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as file:
        if out.suffix == ".csv":
            writer = csv.DictWriter(file, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        else:
            file.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return ExportSummary(len(rows), conflicting)
