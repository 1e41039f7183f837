"""The console front-end of `reviewbot demo`: type a review, see its verdict.

A front-end like the bots: it only uses the client API (submit + wait_result) and the shared
sentences of frontend.texts; the colours and the one-line layout are the console's own.
"""

import getpass
import time
from typing import TextIO

from rich.console import Console
from rich.markup import escape

from frontend import texts
from frontend.client import ResultTimeout, ReviewClient
from reviewbot.messages import Label, Review, Source, Verdict
from reviewbot.validation import SubmitError

PROMPT = "review> "


def describe(verdict: Verdict, wall_ms: float) -> str:
    """Rich markup: label, confidence, language and latency on one line, then the notes
    (another language, a truncated text) that every front-end shows."""
    if not verdict.ok:
        return f"[red]{escape(texts.verdict_text(verdict))}[/red]"
    p = verdict.prediction
    colour = "green" if p.label == Label.POSITIVE else "red"
    label = texts.label_text(p.label).upper()
    line = (
        f"[bold {colour}]{label}[/bold {colour}]  confidence {texts.confidence(p):.2f}  "
        f"language {p.language.value}  latency {wall_ms:.0f} ms "
        f"(model {verdict.latency_ms:.0f} ms, batch of {verdict.batch_size})"
    )
    for note in texts.notes(p):
        line += f"\n[yellow]{escape(note)}[/yellow]"
    return line


def run_console(
    client: ReviewClient, lines: TextIO, console: Console, timeout: float = 60.0
) -> int:
    """Classify each line read from `lines` until end of input; how many were answered."""
    user = getpass.getuser()
    answered = 0
    while True:
        console.print(PROMPT, end="", markup=False, highlight=False)
        line = lines.readline()
        if not line:
            console.print()
            return answered
        text = line.rstrip("\r\n")
        started = time.perf_counter()
        try:
            review_id = client.submit(Review(text=text, source=Source.CONSOLE, user_id=user))
            verdict = client.wait_result(review_id, timeout)
        except SubmitError as exc:
            console.print(f"[yellow]{escape(texts.submit_error_text(exc))}[/yellow]")
            continue
        except ResultTimeout:
            console.print(
                f"[yellow]{escape(texts.sentence('timeout', seconds=f'{timeout:g}'))}[/yellow]"
            )
            continue
        console.print(describe(verdict, (time.perf_counter() - started) * 1000))
        answered += 1
