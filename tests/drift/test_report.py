"""Drift review: a planted shift in one language is flagged, the same distribution is not."""

import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from drift.report import DriftReport, default_windows, drift_report
from reviewbot.messages import Label, Language
from tests.storage.history import verdict

REFERENCE = (date(2026, 11, 1), date(2026, 11, 7))
CURRENT = (date(2026, 11, 8), date(2026, 11, 14))
PER_LANGUAGE = 300


def seed_window(
    store, window: tuple[date, date], rng: np.random.Generator, en_beta: tuple[float, float]
) -> None:
    """PER_LANGUAGE English reviews with p ~ Beta(en_beta) and Spanish ones with p ~ Beta(2, 2), spread over the days."""
    days = (window[1] - window[0]).days + 1
    verdicts = []
    for language, beta in ((Language.EN, en_beta), (Language.ES, (2.0, 2.0))):
        for i, p in enumerate(rng.beta(*beta, size=PER_LANGUAGE)):
            at = datetime.combine(window[0], datetime.min.time(), UTC) + timedelta(
                days=i % days, hours=12
            )
            verdicts.append(
                verdict(
                    round(float(p), 4),
                    language=language,
                    at=at,
                    text="x" * int(rng.integers(20, 200)),
                )
            )
    store.save_verdicts(verdicts)


def test_a_planted_shift_is_flagged_in_its_language_only(store, tmp_path):
    rng = np.random.default_rng(0)
    seed_window(store, REFERENCE, rng, en_beta=(2.0, 2.0))
    seed_window(store, CURRENT, rng, en_beta=(6.0, 1.5))  # English answers turn much more positive

    report = drift_report(REFERENCE, CURRENT, tmp_path, store=store)

    by_language = {segment.language: segment for segment in report.languages}
    assert report.drifted
    assert by_language["en"].drifted and by_language["en"].psi_p_positive >= report.psi_threshold
    assert by_language["en"].positive_rate_current > by_language["en"].positive_rate_reference + 0.2
    assert not by_language["es"].drifted
    assert any(alert.startswith("en: PSI of p_positive") for alert in report.alerts)
    assert (by_language["en"].n_reference, by_language["en"].n_current) == (
        PER_LANGUAGE,
        PER_LANGUAGE,
    )


def test_the_same_distribution_stays_quiet_and_writes_json_and_plots(store, tmp_path):
    rng = np.random.default_rng(1)
    seed_window(store, REFERENCE, rng, en_beta=(2.0, 2.0))
    seed_window(store, CURRENT, rng, en_beta=(2.0, 2.0))

    report = drift_report(REFERENCE, CURRENT, tmp_path, store=store)

    assert not report.drifted and report.alerts == []
    assert all(s.psi_p_positive is not None and s.psi_p_positive < 0.1 for s in report.languages)
    assert report.psi_language_mix == pytest.approx(0.0, abs=1e-9)
    saved = DriftReport.model_validate(json.loads((tmp_path / "report.json").read_text()))
    assert saved.overall == report.overall
    for name in ("scores.png", "daily_positive_rate.png"):
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")


def test_feedback_disagreement_is_reported_per_window(store, tmp_path):
    current_day = datetime(2026, 11, 9, 12, tzinfo=UTC)
    judged = [
        verdict(0.9, at=current_day),
        verdict(0.8, at=current_day),
        verdict(0.2, language=Language.ES, at=current_day),
    ]
    store.save_verdicts(judged)
    store.add_feedback(judged[0].review.id, "a", Label.NEGATIVE)  # disagrees
    store.add_feedback(judged[1].review.id, "a", Label.POSITIVE)  # agrees
    store.add_feedback(judged[2].review.id, "a", Label.NEGATIVE)  # agrees
    report = drift_report(REFERENCE, CURRENT, tmp_path, store=store)
    by_language = {segment.language: segment for segment in report.languages}
    assert report.overall.disagreement_current == pytest.approx(1 / 3)
    assert (by_language["en"].disagreement_current, by_language["es"].disagreement_current) == (
        0.5,
        0.0,
    )
    assert report.overall.disagreement_reference is None  # no feedback then


def test_too_few_reviews_give_no_verdict(store, tmp_path):
    store.save_verdicts([verdict(0.9, at=datetime(2026, 11, 9, tzinfo=UTC))])
    report = drift_report(REFERENCE, CURRENT, tmp_path, store=store)
    assert not report.drifted
    assert report.overall.psi_p_positive is None and "fewer than" in report.overall.note


def test_default_windows_are_the_last_week_against_the_week_before():
    reference, current = default_windows(None, None, today=date(2026, 11, 21))
    assert (current.start, current.end) == (date(2026, 11, 15), date(2026, 11, 21))
    assert (reference.start, reference.end) == (date(2026, 11, 8), date(2026, 11, 14))
    reference, _ = default_windows(None, (date(2026, 11, 10), date(2026, 11, 11)))
    assert (reference.start, reference.end) == (date(2026, 11, 8), date(2026, 11, 9))
    with pytest.raises(ValueError, match="ends before it starts"):
        default_windows(None, (date(2026, 11, 11), date(2026, 11, 10)))
