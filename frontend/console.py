"""The console front-end of `reviewbot demo`: type a review, see its verdict.

A front-end like the bots: it only uses the client API (submit + wait_result) and the shared
sentences of frontend.texts; the colours and the one-line layout are the console's own.
"""

import getpass
import time
from typing import TextIO

from rich.console import Console

from frontend.client import ResultTimeout, ReviewClient
from reviewbot.messages import Label, Language, Review, Source, Verdict
from reviewbot.validation import SubmitError

PROMPT = "review> "
#: The model is trained and measured on English and Spanish; for anything else (another
#: language, emoji only) the verdict is shown but flagged as a guess.
OTHER_LANGUAGE_NOTE = (
    "This does not look like English or Spanish, the languages ReviewBot is trained on: "
    "take the verdict as a guess."
)


def describe(verdict: Verdict, wall_ms: float) -> str:
    """One line of Rich markup: label, confidence, language, latency."""
    if not verdict.ok:
        return f"[red]could not classify:[/red] {verdict.error}"
    p = verdict.prediction
    positive = p.label == Label.POSITIVE
    confidence = p.p_positive if positive else 1 - p.p_positive
    colour = "green" if positive else "red"
    truncated = " [yellow](truncated)[/yellow]" if p.truncated else ""
    line = (
        f"[bold {colour}]{p.label.value.upper()}[/bold {colour}]  confidence {confidence:.2f}  "
        f"language {p.language.value}  latency {wall_ms:.0f} ms "
        f"(model {verdict.latency_ms:.0f} ms, batch of {verdict.batch_size}){truncated}"
    )
    if p.language == Language.OTHER:
        line += f"\n[yellow]{OTHER_LANGUAGE_NOTE}[/yellow]"
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
