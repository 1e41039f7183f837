"""PNG plots of a drift review. Uses matplotlib's Figure directly (Agg canvas, no pyplot state),
so it is safe in a headless RQ job and in threads."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from drift.report import ALL_LANGUAGES, WindowData


def plot_score_histograms(
    ref: WindowData,
    cur: WindowData,
    languages: list[str],
    bins: int,
    path: Path,
    labels: tuple[str, str],
) -> Path:
    """p_positive histograms of both windows overlaid, one panel per language."""
    figure = Figure(figsize=(4.5 * len(languages), 3.5), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(languages), sharey=True))
    edges = np.linspace(0.0, 1.0, bins + 1)
    for axis, language in zip(axes, languages, strict=True):
        for data, label, color in (
            (ref.only(language), labels[0], "tab:blue"),
            (cur.only(language), labels[1], "tab:orange"),
        ):
            if len(data.p_positive):
                axis.hist(
                    data.p_positive,
                    bins=edges,
                    density=True,
                    alpha=0.5,
                    color=color,
                    label=f"{label} (n={len(data.p_positive)})",
                )
        axis.set_title("all languages" if language == ALL_LANGUAGES else language)
        axis.set_xlabel("p_positive")
        if axis.has_data():
            axis.legend(fontsize="small")
    axes[0].set_ylabel("density")
    figure.savefig(path, dpi=100)
    return path


def plot_daily_positive_rate(ref: WindowData, cur: WindowData, path: Path) -> Path:
    """Positive rate per day and language across both windows; the reference is shaded."""
    figure = Figure(figsize=(9, 3.5), layout="constrained")
    axis = figure.subplots()
    days = np.concatenate([ref.day, cur.day])
    positive = np.concatenate([ref.positive, cur.positive])
    language = np.concatenate([ref.language, cur.language])
    all_days = sorted(set(days))
    for name in [ALL_LANGUAGES, *sorted(set(language))]:
        rows = np.ones(len(days), dtype=bool) if name == ALL_LANGUAGES else language == name
        rates = [
            positive[rows & (days == day)].mean() if np.any(rows & (days == day)) else np.nan
            for day in all_days
        ]
        axis.plot(range(len(all_days)), rates, marker="o", label=name)
    if len(ref.day):
        reference_days = [all_days.index(day) for day in set(ref.day)]
        axis.axvspan(
            min(reference_days) - 0.5,
            max(reference_days) + 0.5,
            color="grey",
            alpha=0.15,
            label="reference",
        )
    axis.set_xticks(range(len(all_days)), all_days, rotation=45, ha="right", fontsize="small")
    axis.set_ylim(0, 1)
    axis.set_ylabel("positive rate")
    if len(days):
        axis.legend(fontsize="small")
    figure.savefig(path, dpi=100)
    return path
