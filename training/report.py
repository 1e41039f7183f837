"""Rich tables of what a training or evaluation run measured."""

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from model.checkpoint import CheckpointMeta
from reviewbot.excerpts import printable

COLUMNS = ("n", "accuracy", "precision", "recall", "f1", "roc_auc")


def metrics_table(title: str, rows: dict[str, dict[str, Any]]) -> Table:
    table = Table(title=title)
    table.add_column("")
    for column in COLUMNS:
        table.add_column(column, justify="right")
    for name, values in rows.items():
        table.add_row(name, *(_cell(values.get(column)) for column in COLUMNS))
    return table


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return str(value) if isinstance(value, int) else f"{value:.4f}"


def _rows(report: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    rows = {f"{prefix}at threshold": report["at_threshold"], f"{prefix}at 0.5": report["at_0.5"]}
    if len(report["per_language"]) > 1:
        rows.update(
            {f"{prefix}{language}": values for language, values in report["per_language"].items()}
        )
    return rows


def print_data(console: Console, data: dict[str, Any]) -> None:
    columns = ", ".join(
        f"{role} = {printable(str(name), 60)} ({data['reasons'][role]})"
        for role, name in data["columns"].items()
    )
    console.print(f"columns: {escape(columns)}", highlight=False)
    if data.get("not_utf8_rows"):
        console.print(
            f"[yellow]note:[/yellow] {data['not_utf8_rows']} rows were not UTF-8; "
            "read them as Windows-1252",
            highlight=False,
        )
    console.print(
        f"labels: {data['label_mapping']} ({data['label_mapping_reason']}); kept {data['rows_kept']} of "
        f"{data['rows_read']} rows; dropped {data['dropped'] or 'none'}; "
        f"{data['positives']} positive / {data['negatives']} negative",
        highlight=False,
    )


def print_training(console: Console, path: Path, meta: CheckpointMeta) -> None:
    extra = meta.model_extra or {}
    print_data(console, extra["data"])
    console.print(
        f"splits ({extra['splits']['kind']}): {extra['splits']['sizes']}", highlight=False
    )
    choice = extra["threshold_choice"]
    console.print(
        f"threshold {meta.threshold:.4f}, chosen on validation ({choice['objective']}): "
        f"F1 {choice['validation_f1']:.4f}",
        highlight=False,
    )
    for language in extra.get("language_thresholds", []):
        own = language["choice"]
        console.print(
            f"  {language['language']}: "
            + (f"{own['threshold']:.4f}, " if own else "")
            + language["reason"],
            highlight=False,
        )
    rows = _rows(meta.metrics["test"], "test ")
    for name, report in meta.metrics.get("extra", {}).items():
        if "error" in report:
            console.print(
                f"[yellow]not measured on {name}:[/yellow] {report['error']}", highlight=False
            )
        else:
            rows.update(_rows(report, f"{name} "))
    console.print(metrics_table("Test metrics (thresholds chosen on validation)", rows))
    console.print(
        language_table("Test, per detected language", meta.metrics["test"]["per_language"])
    )
    if "per_source" in meta.metrics["test"]:
        console.print(
            metrics_table(
                "Test, per source (chosen thresholds)", meta.metrics["test"]["per_source"]
            )
        )
    console.print(f"checkpoint: [bold]{path}[/bold] ({extra['seconds']} s)")


LANGUAGE_COLUMNS = ("n", "accuracy", "f1", "roc_auc", "threshold")


def language_table(title: str, per_language: dict[str, dict[str, Any]]) -> Table:
    """One row per detected language: accuracy, F1 and AUC at the threshold that decided it."""
    table = Table(title=title)
    table.add_column("language")
    for column in LANGUAGE_COLUMNS:
        table.add_column(column, justify="right")
    table.add_column("threshold used")
    for language, values in per_language.items():
        table.add_row(
            language,
            *(_cell(values.get(column)) for column in LANGUAGE_COLUMNS),
            values.get("threshold_scope", "overall"),
        )
    return table


def print_evaluation(console: Console, result: dict[str, Any]) -> None:
    print_data(console, result["data"])
    threshold = result["at_threshold"]["threshold"]
    own = result["at_threshold"].get("thresholds") or {}
    described = f"threshold {threshold:.4f}" + "".join(
        f", {language} {value:.4f}" for language, value in sorted(own.items())
    )
    console.print(metrics_table(f"{result['model_version']} ({described})", _rows(result)))
    console.print(language_table("Per detected language", result["per_language"]))
    for plot in result.get("plots", []):
        console.print(f"plot: {plot}", highlight=False)
