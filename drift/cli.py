"""`reviewbot drift`: the drift review of stored history, as a table and plots."""

from datetime import date
from pathlib import Path

import typer

from storage.cli import URL_OPTION, clear_errors


def _window(value: str | None) -> tuple[date, date] | None:
    if value is None:
        return None
    try:
        start, end = value.split("..")
        return date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as error:
        raise typer.BadParameter(
            f"{value!r}: expected FIRST..LAST days, e.g. 2026-11-01..2026-11-14"
        ) from error


def drift_command(
    reference: str | None = typer.Option(
        None,
        "--reference",
        help="FIRST..LAST day (UTC, inclusive).",
        show_default="the days just before --current",
    ),
    current: str | None = typer.Option(
        None, "--current", help="FIRST..LAST day (UTC, inclusive).", show_default="the last 7 days"
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Folder for report.json and the plots.",
        show_default="$REVIEWBOT_HOME/drift/FIRST_LAST",
    ),
    url: str | None = URL_OPTION,
) -> None:
    """Compare score, language and length distributions of two periods; PSI over the threshold marks drift."""
    from rich.console import Console
    from rich.table import Table

    from drift.report import drift_report
    from storage import open_store

    with clear_errors(), open_store(url) as store:
        report = drift_report(_window(reference), _window(current), out, store=store)

    def fmt(value: float | None, digits: int = 3) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    table = Table(
        "language",
        "n ref",
        "n cur",
        "PSI p",
        "PSI length",
        "positive ref → cur",
        "low-conf ref → cur",
        "disagree ref → cur",
        "drift",
        title=f"drift: reference {report.reference} vs current {report.current}",
    )
    for segment in [report.overall, *report.languages]:
        table.add_row(
            segment.language,
            str(segment.n_reference),
            str(segment.n_current),
            fmt(segment.psi_p_positive),
            fmt(segment.psi_text_length),
            f"{fmt(segment.positive_rate_reference, 2)} → {fmt(segment.positive_rate_current, 2)}",
            f"{fmt(segment.low_confidence_reference, 2)} → {fmt(segment.low_confidence_current, 2)}",
            f"{fmt(segment.disagreement_reference, 2)} → {fmt(segment.disagreement_current, 2)}",
            "[red]yes[/red]" if segment.drifted else (segment.note or "no"),
        )
    console = Console()
    console.print(table)
    console.print(
        f"language mix PSI: {fmt(report.psi_language_mix)} (threshold {report.psi_threshold:g})"
    )
    for alert in report.alerts:
        console.print(f"[red]drift:[/red] {alert}")
    for path in report.files:
        console.print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root `reviewbot` app."""
    app.command("drift")(drift_command)
