"""`reviewbot` subcommands of the front-end room: classify one review, the demo."""

import typer


def classify_command(
    text: str = typer.Argument(..., help="The review to classify."),
    timeout: float = typer.Option(30.0, help="Seconds to wait for the verdict."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole verdict as JSON."),
) -> None:
    """Classify one review through the running workers (`reviewbot worker` or `make demo`)."""
    import time

    from rich.console import Console

    from frontend.client import ResultTimeout, ReviewClient
    from frontend.console import describe
    from reviewbot.messages import Review, Source
    from reviewbot.validation import SubmitError

    console = Console()
    client = ReviewClient()
    started = time.perf_counter()
    try:
        verdict = client.classify(Review(text=text, source=Source.API), timeout)
    except SubmitError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(2) from None
    except ResultTimeout:
        console.print(
            f"[red]No verdict within {timeout:g} s.[/red] "
            "Is a worker running (`reviewbot worker` or "
            "`make demo`) on the same Redis? The review stays queued and will be classified."
        )
        raise typer.Exit(1) from None
    finally:
        client.close()
    if as_json:
        print(verdict.model_dump_json(indent=2))
    else:
        console.print(describe(verdict, (time.perf_counter() - started) * 1000))
    raise typer.Exit(0 if verdict.ok else 1)


def demo_command() -> None:
    """Embedded Redis + SQLite + a worker + a console: type reviews, see their verdicts."""
    from frontend.demo import run_demo

    try:
        status = run_demo()
    except (RuntimeError, ImportError) as exc:
        typer.secho(f"demo failed: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(status)


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root `reviewbot` app."""
    app.command("classify")(classify_command)
    app.command("demo")(demo_command)
