"""PNG plots of a trained checkpoint: precision-recall curve with the chosen point, F1 against
the threshold, the test confusion matrix, and reliability diagrams (per language in
`reviewbot evaluate`)."""

from pathlib import Path

import numpy as np

from model.classifier import DECISION_DECIMALS


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def _rounded(p: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(p, dtype=np.float64), DECISION_DECIMALS)


def pr_curve(
    curves: dict[str, tuple[np.ndarray, np.ndarray]], threshold: float, path: Path
) -> Path:
    from sklearn.metrics import precision_recall_curve, precision_score, recall_score

    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(5, 5))
    for name, (labels, p) in curves.items():
        precision, recall, _ = precision_recall_curve(labels, _rounded(p))
        (line,) = axes.plot(recall, precision, label=name)
        predicted = _rounded(p) >= threshold
        axes.plot(
            recall_score(labels, predicted, zero_division=0),
            precision_score(labels, predicted, zero_division=0),
            "o",
            color=line.get_color(),
        )
    axes.set(
        xlabel="recall",
        ylabel="precision",
        title=f"Precision-recall (dots: threshold {threshold:.4f})",
    )
    axes.set_xlim(0, 1.01)
    axes.set_ylim(0, 1.01)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def f1_vs_threshold(
    curves: dict[str, tuple[np.ndarray, np.ndarray]], threshold: float, path: Path
) -> Path:
    from sklearn.metrics import f1_score

    plt = _pyplot()
    grid = np.linspace(0.01, 0.99, 99)
    figure, axes = plt.subplots(figsize=(6, 4))
    for name, (labels, p) in curves.items():
        rounded = _rounded(p)
        axes.plot(grid, [f1_score(labels, rounded >= t, zero_division=0) for t in grid], label=name)
    axes.axvline(threshold, linestyle="--", color="grey", label=f"chosen {threshold:.4f}")
    axes.set(
        xlabel="threshold on P(positive)",
        ylabel="F1 (positive class)",
        title="F1 against the threshold",
    )
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def confusion(labels: np.ndarray, p: np.ndarray, threshold: float, path: Path, title: str) -> Path:
    from sklearn.metrics import ConfusionMatrixDisplay

    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(4.5, 4))
    ConfusionMatrixDisplay.from_predictions(
        labels,
        (_rounded(p) >= threshold).astype(int),
        labels=[0, 1],
        display_labels=["NEGATIVE", "POSITIVE"],
        ax=axes,
        colorbar=False,
    )
    axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def write_plots(
    folder: Path,
    validation: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    threshold: float,
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    curves = {"validation": validation, "test": test}
    return [
        pr_curve(curves, threshold, folder / "pr_curve.png"),
        f1_vs_threshold(curves, threshold, folder / "f1_vs_threshold.png"),
        confusion(
            *test, threshold, folder / "confusion_matrix.png", f"Test, threshold {threshold:.4f}"
        ),
    ]


#: Bins of P(positive) in a reliability diagram: 10 equal-width bins, as is usual; the
#: per-language sets here are a few hundred rows, so finer bins would be mostly noise.
RELIABILITY_BINS = 10


def reliability(
    labels: np.ndarray, p: np.ndarray, threshold: float, path: Path, title: str
) -> Path:
    """Observed share of positives against mean P(positive) per bin (the diagonal is perfect
    calibration), with the number of rows per bin below and the threshold marked."""
    plt = _pyplot()
    labels, p = np.asarray(labels), _rounded(p)
    edges = np.linspace(0.0, 1.0, RELIABILITY_BINS + 1)
    which = np.clip(np.digitize(p, edges[1:-1]), 0, RELIABILITY_BINS - 1)
    counts = np.bincount(which, minlength=RELIABILITY_BINS)
    filled = counts > 0
    mean_p = np.bincount(which, weights=p, minlength=RELIABILITY_BINS)[filled] / counts[filled]
    observed = (
        np.bincount(which, weights=labels, minlength=RELIABILITY_BINS)[filled] / counts[filled]
    )
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(5, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    top.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfect calibration")
    top.plot(mean_p, observed, "o-", label="observed")
    top.axvline(threshold, linestyle="--", color="tab:red", label=f"threshold {threshold:.4f}")
    top.set(ylabel="share positive", title=title)
    top.set_ylim(-0.02, 1.02)
    top.legend(loc="upper left")
    bottom.bar((edges[:-1] + edges[1:]) / 2, counts, width=1 / RELIABILITY_BINS * 0.9)
    bottom.set(xlabel="P(positive)", ylabel="rows")
    bottom.set_xlim(0, 1)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
