"""Drift review: has what people send, or what the model answers, moved since a reference period?

Compares a reference window of days with a current one, overall and per language: the population
stability index (PSI) of p_positive and of text length, the positive rate, the low-confidence
share, the feedback disagreement rate and the language mix. A PSI at or above the threshold
marks drift. Writes report.json and PNG plots; runs from `reviewbot drift` or as an RQ job.

It reads history through the Store's report queries (storage knows SQL; this room knows
statistics and plots).
"""

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from drift.settings import DriftSettings
from reviewbot.messages import Label
from reviewbot.settings import CommonSettings

log = logging.getLogger(__name__)

#: Share given to an empty bin, so the PSI stays finite when a bin is empty in one window.
PSI_FLOOR = 1e-4
#: Same band as the daily_low_confidence view.
LOW_CONFIDENCE_BAND = 0.1 + 1e-9
DEFAULT_DAYS = 7
ALL_LANGUAGES = "all"


class Window(BaseModel):
    """A span of whole UTC days, both ends included."""

    start: date
    end: date

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"


class SegmentDrift(BaseModel):
    """Reference vs current figures of one language (or of all reviews)."""

    language: str
    n_reference: int
    n_current: int
    psi_p_positive: float | None = None
    psi_text_length: float | None = None
    positive_rate_reference: float | None = None
    positive_rate_current: float | None = None
    mean_chars_reference: float | None = None
    mean_chars_current: float | None = None
    low_confidence_reference: float | None = None
    low_confidence_current: float | None = None
    #: Share of feedback that disagrees with the served label; None without feedback.
    disagreement_reference: float | None = None
    disagreement_current: float | None = None
    drifted: bool = False
    note: str | None = None


class DriftReport(BaseModel):
    reference: Window
    current: Window
    psi_threshold: float
    generated_at: datetime
    overall: SegmentDrift
    languages: list[SegmentDrift]
    language_mix_reference: dict[str, float]
    language_mix_current: dict[str, float]
    psi_language_mix: float | None
    drifted: bool
    #: One line per figure over the threshold, for a person to read.
    alerts: list[str]
    #: report.json and the PNG plots.
    files: list[Path]


@dataclass
class WindowData:
    """The served predictions of one window, as columns."""

    p_positive: np.ndarray
    threshold: np.ndarray
    positive: np.ndarray
    language: np.ndarray
    chars: np.ndarray
    day: np.ndarray
    #: Per piece of feedback: the review's language and whether it disagrees with the served label.
    feedback_language: np.ndarray
    feedback_disagrees: np.ndarray

    def only(self, language: str) -> "WindowData":
        if language == ALL_LANGUAGES:
            return self
        rows, feedback = self.language == language, self.feedback_language == language
        return WindowData(
            self.p_positive[rows],
            self.threshold[rows],
            self.positive[rows],
            self.language[rows],
            self.chars[rows],
            self.day[rows],
            self.feedback_language[feedback],
            self.feedback_disagrees[feedback],
        )


def default_windows(
    reference: tuple[date, date] | None,
    current: tuple[date, date] | None,
    today: date | None = None,
) -> tuple[Window, Window]:
    """Fill in missing windows: current = the last 7 days, reference = as many days just before it."""
    today = today or datetime.now(UTC).date()
    cur = (
        _window(current)
        if current
        else Window(start=today - timedelta(days=DEFAULT_DAYS - 1), end=today)
    )
    if reference:
        return _window(reference), cur
    length = cur.end - cur.start
    return Window(
        start=cur.start - length - timedelta(days=1), end=cur.start - timedelta(days=1)
    ), cur


def _window(days: tuple[date, date]) -> Window:
    if days[1] < days[0]:
        raise ValueError(f"window {days[0]}..{days[1]} ends before it starts")
    return Window(start=days[0], end=days[1])


def drift_report(
    reference: tuple[date, date] | None = None,
    current: tuple[date, date] | None = None,
    out_dir: Path | None = None,
    *,
    store=None,
) -> DriftReport:
    """Compare two windows of history and write report.json plus plots to `out_dir`.

    `store`: the Store to read; None opens the configured one (how the RQ job runs it).
    """
    from drift.plots import plot_daily_positive_rate, plot_score_histograms
    from storage import open_store

    settings = DriftSettings()
    ref_window, cur_window = default_windows(reference, current)
    own_store = store is None
    store = store or open_store()
    try:
        ref, cur = load_window(store, ref_window), load_window(store, cur_window)
    finally:
        if own_store:
            store.close()

    languages = sorted(set(ref.language) | set(cur.language))
    overall = compare(ALL_LANGUAGES, ref, cur, settings)
    segments = [compare(lang, ref.only(lang), cur.only(lang), settings) for lang in languages]
    mix_ref, mix_cur = _shares(ref.language, languages), _shares(cur.language, languages)
    psi_mix = None
    if min(len(ref.language), len(cur.language)) >= settings.min_reviews and languages:
        psi_mix = psi(np.array(list(mix_ref.values())), np.array(list(mix_cur.values())))
    alerts = _alerts([overall, *segments], psi_mix, settings.psi_threshold)

    out_dir = out_dir or default_out_dir(cur_window)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [
        plot_score_histograms(
            ref,
            cur,
            [ALL_LANGUAGES, *languages],
            settings.bins,
            out_dir / "scores.png",
            (str(ref_window), str(cur_window)),
        ),
        plot_daily_positive_rate(ref, cur, out_dir / "daily_positive_rate.png"),
    ]
    report = DriftReport(
        reference=ref_window,
        current=cur_window,
        psi_threshold=settings.psi_threshold,
        generated_at=datetime.now(UTC),
        overall=overall,
        languages=segments,
        language_mix_reference=mix_ref,
        language_mix_current=mix_cur,
        psi_language_mix=psi_mix,
        drifted=bool(alerts),
        alerts=alerts,
        files=[out_dir / "report.json", *files],
    )
    (out_dir / "report.json").write_text(report.model_dump_json(indent=2))
    log.info("drift %s vs %s: %s", ref_window, cur_window, "; ".join(alerts) or "no drift")
    return report


def default_out_dir(window: Window) -> Path:
    return CommonSettings().home_dir() / "drift" / f"{window.start}_{window.end}"


def load_window(store, window: Window) -> WindowData:
    """Served predictions (and feedback on them) of reviews received in the window."""
    start = datetime.combine(window.start, time(), UTC)
    end = datetime.combine(window.end + timedelta(days=1), time(), UTC)
    rows = store.served_in_window(start, end)
    feedback_rows = store.feedback_in_window(start, end)
    return WindowData(
        p_positive=np.array([r[0] for r in rows], dtype=float),
        threshold=np.array([r[1] for r in rows], dtype=float),
        positive=np.array([r[2] == Label.POSITIVE for r in rows], dtype=bool),
        language=np.array([_language(r[3]) for r in rows], dtype=object),
        chars=np.array([r[4] for r in rows], dtype=float),
        day=np.array([r[5].date().isoformat() for r in rows], dtype=object),
        feedback_language=np.array([_language(r[0]) for r in feedback_rows], dtype=object),
        feedback_disagrees=np.array([bool(r[1]) for r in feedback_rows], dtype=bool),
    )


def _language(value) -> str:
    return value.value if value is not None else "unknown"


def psi(reference_shares: np.ndarray, current_shares: np.ndarray) -> float:
    """Population stability index of two distributions over the same bins."""
    ref = np.maximum(reference_shares, PSI_FLOOR)
    cur = np.maximum(current_shares, PSI_FLOOR)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def histogram_shares(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
    return counts / max(counts.sum(), 1)


def compare(
    language: str, ref: WindowData, cur: WindowData, settings: DriftSettings
) -> SegmentDrift:
    segment = SegmentDrift(
        language=language,
        n_reference=len(ref.p_positive),
        n_current=len(cur.p_positive),
        positive_rate_reference=_mean(ref.positive),
        positive_rate_current=_mean(cur.positive),
        mean_chars_reference=_mean(ref.chars),
        mean_chars_current=_mean(cur.chars),
        low_confidence_reference=_mean(_low_confidence(ref)),
        low_confidence_current=_mean(_low_confidence(cur)),
        disagreement_reference=_mean(ref.feedback_disagrees),
        disagreement_current=_mean(cur.feedback_disagrees),
    )
    if min(segment.n_reference, segment.n_current) < settings.min_reviews:
        segment.note = f"fewer than {settings.min_reviews} reviews in a window: no PSI"
        return segment
    score_edges = np.linspace(0.0, 1.0, settings.bins + 1)
    segment.psi_p_positive = psi(
        histogram_shares(ref.p_positive, score_edges), histogram_shares(cur.p_positive, score_edges)
    )
    # Length bins are the reference's deciles, so each holds about a tenth of the reference.
    length_edges = np.unique(np.quantile(ref.chars, np.linspace(0, 1, settings.bins + 1)))
    if len(length_edges) > 2:
        length_edges[0], length_edges[-1] = -np.inf, np.inf
        segment.psi_text_length = psi(
            histogram_shares(ref.chars, length_edges), histogram_shares(cur.chars, length_edges)
        )
    segment.drifted = any(
        value is not None and value >= settings.psi_threshold
        for value in (segment.psi_p_positive, segment.psi_text_length)
    )
    return segment


def _low_confidence(data: WindowData) -> np.ndarray:
    return np.abs(data.p_positive - data.threshold) <= LOW_CONFIDENCE_BAND


def _mean(values: np.ndarray) -> float | None:
    return float(np.mean(values)) if len(values) else None


def _shares(languages: np.ndarray, names: list[str]) -> dict[str, float]:
    total = max(len(languages), 1)
    return {name: float(np.sum(languages == name)) / total for name in names}


def _alerts(segments: list[SegmentDrift], psi_mix: float | None, threshold: float) -> list[str]:
    alerts = []
    for segment in segments:
        for what, value in (
            ("p_positive", segment.psi_p_positive),
            ("text length", segment.psi_text_length),
        ):
            if value is not None and value >= threshold:
                alerts.append(f"{segment.language}: PSI of {what} {value:.3f} >= {threshold:g}")
    if psi_mix is not None and psi_mix >= threshold:
        alerts.append(f"language mix: PSI {psi_mix:.3f} >= {threshold:g}")
    return alerts
