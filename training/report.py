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
    rows = _rows(meta.metrics["test"], "test ")
    for name, report in meta.metrics.get("extra", {}).items():
        if "error" in report:
            console.print(
                f"[yellow]not measured on {name}:[/yellow] {report['error']}", highlight=False
            )
        else:
            rows.update(_rows(report, f"{name} "))
    console.print(metrics_table("Test metrics (threshold chosen on validation)", rows))
    console.print(f"checkpoint: [bold]{path}[/bold] ({extra['seconds']} s)")


def print_evaluation(console: Console, result: dict[str, Any]) -> None:
    print_data(console, result["data"])
    threshold = result["at_threshold"]["threshold"]
    console.print(
        metrics_table(f"{result['model_version']} (threshold {threshold:.4f})", _rows(result))
    )
