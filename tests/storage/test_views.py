"""The admin views give the right figures on a seeded history, the same on SQLite and Postgres."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from reviewbot.messages import Label, Language, Source, Verdict
from tests.storage.history import THRESHOLD, prediction, verdict

DAY1 = datetime(2026, 11, 10, 9, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
#: 00:30 on day 2 in UTC+2 is 22:30 UTC on day 1: views count UTC days.
LATE_EVENING_ELSEWHERE = datetime(2026, 11, 11, 0, 30, tzinfo=timezone(timedelta(hours=2)))

# (received, source, language, p_positive or None for a failed review)
SEED = [
    (DAY1, Source.TELEGRAM, Language.EN, 0.90),
    (DAY1, Source.TELEGRAM, Language.EN, 0.55),  # low confidence: 0.07 above the threshold
    (LATE_EVENING_ELSEWHERE, Source.TELEGRAM, Language.EN, 0.10),
    (DAY1, Source.TELEGRAM, None, None),
    (DAY1, Source.DISCORD, Language.ES, 0.30),
    (DAY1, Source.DISCORD, Language.ES, 0.45),  # low confidence: 0.03 below
    (DAY2, Source.TELEGRAM, Language.EN, 0.80),
]
RESCORED = {0: 0.40, 4: 0.35}  # seed index -> p_positive of model v2
FEEDBACK = {
    0: Label.NEGATIVE,
    2: Label.NEGATIVE,
    4: Label.POSITIVE,
}  # seed index -> the person's label


@pytest.fixture
def seeded(store) -> tuple:
    verdicts = [
        verdict(p, language=language or Language.EN, source=source, at=at)
        for at, source, language, p in SEED
    ]
    store.save_verdicts(verdicts)
    store.save_predictions(
        [
            (verdicts[i].review.id, prediction(p, version="v2", language=SEED[i][2]))
            for i, p in RESCORED.items()
        ]
    )
    for i, label in FEEDBACK.items():
        store.add_feedback(verdicts[i].review.id, "judge", label)
    return store, verdicts


def rows(store, query: str) -> list[tuple]:
    with store.engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(text(query)))


def day(at: datetime) -> str:
    return at.astimezone(UTC).date().isoformat()


def is_positive(p: float) -> bool:
    return p >= THRESHOLD


def test_daily_reviews(seeded):
    store, _ = seeded
    groups = defaultdict(list)
    for at, source, language, p in SEED:
        groups[(day(at), language.value if language else "unknown", source.value)].append(p)
    expected = []
    for key, ps in groups.items():
        scored = [p for p in ps if p is not None]
        positive = sum(map(is_positive, scored))
        expected.append(
            (
                *key,
                len(ps),
                len(scored),
                len(ps) - len(scored),
                positive,
                positive / len(scored) if scored else None,
            )
        )
    got = rows(
        store,
        "SELECT day, language, platform, reviews, classified, failed, positive, positive_rate "
        "FROM daily_reviews",
    )
    _same(got, expected)
    assert ("2026-11-10", "en", "telegram", 3, 3, 0, 2, pytest.approx(2 / 3)) in got


def test_daily_low_confidence_counts_every_model_version(seeded):
    store, _ = seeded
    groups = defaultdict(list)
    for i, (at, _, language, p) in enumerate(SEED):
        if p is None:
            continue
        groups[(day(at), language.value, "v1")].append(p)
        if i in RESCORED:
            groups[(day(at), language.value, "v2")].append(RESCORED[i])
    expected = [
        (
            *key,
            len(ps),
            sum(abs(p - THRESHOLD) <= 0.1 for p in ps),
            sum(abs(p - THRESHOLD) <= 0.1 for p in ps) / len(ps),
        )
        for key, ps in groups.items()
    ]
    got = rows(
        store,
        "SELECT day, language, model_version, predictions, low_confidence, low_confidence_share "
        "FROM daily_low_confidence",
    )
    _same(got, expected)
    assert ("2026-11-10", "es", "v1", 2, 1, 0.5) in got


def test_feedback_disagreement(seeded):
    store, verdicts = seeded
    detail = rows(
        store, "SELECT review_id, model_label, user_label, disagrees FROM feedback_vs_model"
    )
    _same(
        detail,
        [
            (
                verdicts[i].review.id,
                verdicts[i].prediction.label.value,
                label.value,
                int(verdicts[i].prediction.label != label),
            )
            for i, label in FEEDBACK.items()
        ],
    )
    daily = rows(
        store,
        "SELECT day, language, model_version, feedback, disagreements, disagreement_rate "
        "FROM daily_feedback_disagreement",
    )
    # en on day 1: 0.90 said negative (disagrees), 0.10 said negative (agrees); es: 0.30 said positive.
    _same(daily, [("2026-11-10", "en", "v1", 2, 1, 0.5), ("2026-11-10", "es", "v1", 1, 1, 1.0)])


def test_model_comparison_pairs_versions_on_the_same_reviews(seeded):
    store, verdicts = seeded
    got = rows(
        store,
        "SELECT review_id, p_a, p_b, same_label FROM model_comparison "
        "WHERE version_a = 'v1' AND version_b = 'v2'",
    )
    _same(
        got,
        [
            (verdicts[i].review.id, SEED[i][3], p, int(is_positive(SEED[i][3]) == is_positive(p)))
            for i, p in RESCORED.items()
        ],
    )
    assert len(rows(store, "SELECT * FROM model_comparison")) == 2 * len(RESCORED)  # both orders


def test_a_failed_review_that_is_retried_moves_to_classified(store):
    failed = verdict(None, at=DAY1)
    store.save_verdicts([failed])
    store.save_verdicts([Verdict(review=failed.review, prediction=prediction(0.9))])
    assert rows(store, "SELECT language, reviews, classified, failed FROM daily_reviews") == [
        ("en", 1, 1, 0)
    ]


def _same(got: list[tuple], expected: list[tuple]) -> None:
    """Same rows, floats compared with a tolerance (SQL and Python may round the last bit differently)."""
    expected = sorted(expected, key=lambda row: tuple(str(v) for v in row))
    got = sorted(got, key=lambda row: tuple(str(v) for v in row))
    assert len(got) == len(expected), (got, expected)
    for got_row, expected_row in zip(got, expected, strict=True):
        assert got_row == pytest.approx(expected_row), (got, expected)
