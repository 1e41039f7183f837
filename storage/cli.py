"""`reviewbot` subcommands of the storage room: db, sql, forget, export-feedback."""

import contextlib
from collections.abc import Iterator
from pathlib import Path

import typer

from reviewbot.messages import Source

db_app = typer.Typer(help="The history database: migrations and retention.", no_args_is_help=True)

URL_OPTION = typer.Option(
    None,
    "--url",
    help="Database URL.",
    show_default="$REVIEWBOT_DATABASE_URL or SQLite under $REVIEWBOT_HOME",
)


@contextlib.contextmanager
def clear_errors() -> Iterator[None]:
    """Print what went wrong in one line and exit non-zero, instead of a traceback."""
    from rich.console import Console

    from storage.errors import StoreNotMigrated, StoreUnavailable

    try:
        yield
    except (StoreUnavailable, StoreNotMigrated, ValueError, KeyError) as error:
        Console(stderr=True).print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(1) from error


def _url(url: str | None) -> str:
    from storage.settings import StorageSettings

    return url or StorageSettings().url()


@contextlib.contextmanager
def _migration_engine(url: str | None) -> Iterator:
    """An engine for the `db` commands: errors as one line, the engine disposed however it ends."""
    from storage.engine import make_engine, unavailable_as_store_error

    url = _url(url)
    with clear_errors():
        engine = make_engine(url)
        try:
            with unavailable_as_store_error(url):
                yield engine
        finally:
            engine.dispose()


@db_app.command("upgrade")
def upgrade_command(
    revision: str = typer.Argument("head", help="Revision to upgrade to."),
    url: str | None = URL_OPTION,
) -> None:
    """Create or migrate the schema (tables, indexes, admin views) with Alembic."""
    from storage import migrate

    with _migration_engine(url) as engine:
        migrate.upgrade(engine, revision)
        typer.echo(f"database at revision {migrate.current_revision(engine)}")


@db_app.command("downgrade")
def downgrade_command(
    revision: str = typer.Argument(..., help="Revision to go back to ('base': drop everything)."),
    url: str | None = URL_OPTION,
) -> None:
    """Undo migrations down to REVISION."""
    from storage import migrate

    with _migration_engine(url) as engine:
        migrate.downgrade(engine, revision)
        typer.echo(f"database at revision {migrate.current_revision(engine) or 'base'}")


@db_app.command("current")
def current_command(url: str | None = URL_OPTION) -> None:
    """Show the schema revision of the database and the one this code needs."""
    from storage import migrate

    with _migration_engine(url) as engine:
        typer.echo(
            f"database: {migrate.current_revision(engine) or 'empty'}; code: {migrate.head_revision()}"
        )


@db_app.command("prune")
def prune_command(
    older_than_days: int | None = typer.Option(
        None,
        "--older-than-days",
        min=1,
        help="Erase text and user ids of reviews older than this.",
        show_default="$REVIEWBOT_STORAGE_RETENTION_DAYS",
    ),
    url: str | None = URL_OPTION,
) -> None:
    """Apply retention now: old reviews keep their scores and lose their text and user ids."""
    from storage import open_store
    from storage.retention import prune

    with clear_errors(), open_store(url) as store:
        typer.echo(f"pruned {prune(older_than_days, store=store)} reviews")


def sql_command(
    query: str = typer.Argument(
        ..., help='One read-only statement, e.g. "SELECT * FROM daily_reviews".'
    ),
    as_csv: bool = typer.Option(False, "--csv", help="Print CSV instead of a table."),
    max_rows: int = typer.Option(1000, "--max-rows", min=1, help="Print at most this many rows."),
    url: str | None = typer.Option(
        None,
        "--url",
        help="Database URL.",
        show_default="$REVIEWBOT_STORAGE_SQL_URL or the history database",
    ),
) -> None:
    """Run a read-only SQL query on the history database (writes are refused by the database)."""
    import csv
    import sys

    from rich.console import Console
    from rich.table import Table

    from storage.readonly import QueryError, run_readonly
    from storage.settings import StorageSettings

    settings = StorageSettings()
    with clear_errors():
        try:
            result = run_readonly(
                url or settings.sql_url or settings.url(), query, settings.sql_timeout_s, max_rows
            )
        except QueryError as error:
            Console(stderr=True).print(f"[red]query failed:[/red] {error}", highlight=False)
            raise typer.Exit(2) from error
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        writer.writerows(result.rows)
        return
    table = Table(
        *result.columns,
        caption=f"{len(result.rows)} rows"
        + (f" (first {max_rows})" if len(result.rows) == max_rows else ""),
    )
    for row in result.rows:
        table.add_row(*("" if value is None else str(value) for value in row))
    Console().print(table)


def forget_command(
    source: Source = typer.Option(..., "--source", help="Platform the person used."),
    user: str = typer.Option(..., "--user", help="Their user id on that platform."),
    url: str | None = URL_OPTION,
) -> None:
    """Delete everything stored about one person: reviews, predictions, feedback."""
    from storage import open_store

    with clear_errors(), open_store(url) as store:
        removed = store.forget_user(source, user)
    typer.echo(
        f"deleted {removed} reviews of {source.value} user {user} with their predictions and feedback"
    )


def export_feedback_command(
    out: Path = typer.Option(
        ..., "--out", help="File to write: .csv or .jsonl (columns text, label, language)."
    ),
    corrections_only: bool = typer.Option(
        False, "--corrections-only", help="Only reviews where people disagreed with the model."
    ),
    url: str | None = URL_OPTION,
) -> None:
    """Write reviews labelled by people's feedback as a file `reviewbot train` reads directly."""
    from storage import open_store
    from storage.feedback_export import export_feedback

    with clear_errors(), open_store(url) as store:
        summary = export_feedback(store, out, corrections_only)
    typer.echo(
        f"wrote {summary.written} labelled reviews to {out}"
        + (
            f"; left out {summary.conflicting} with evenly split feedback"
            if summary.conflicting
            else ""
        )
    )


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root `reviewbot` app."""
    app.add_typer(db_app, name="db")
    app.command("sql")(sql_command)
    app.command("forget")(forget_command)
    app.command("export-feedback")(export_feedback_command)
