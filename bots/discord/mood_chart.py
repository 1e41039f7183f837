"""The /mood chart: a channel's daily positive rate (line) over its daily volume (bars), as PNG."""

import io
from datetime import date, timedelta

from storage.discord_state import MoodDay


def mood_png(
    days: list[MoodDay], start: date, end: date, title: str, rate: str, volume: str
) -> bytes:
    """Every day from start to end, the days without reviews as gaps in the line."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    from matplotlib.figure import Figure

    by_day = {d.day: d for d in days}
    span = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    counts = [by_day[d].reviews if d in by_day else 0 for d in span]
    rates = [by_day[d].positive_rate if d in by_day else float("nan") for d in span]

    figure = Figure(figsize=(8, 3.6), dpi=100)
    bars = figure.add_subplot()
    bars.bar(span, counts, color="#c8d1dc", width=0.8)
    bars.set_ylabel(volume)
    line = bars.twinx()
    line.plot(span, rates, color="#2f7d32", marker="o", markersize=3)
    line.set_ylim(0, 1)
    line.set_ylabel(rate)
    bars.set_title(title)
    figure.autofmt_xdate()
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
