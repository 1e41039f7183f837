"""`reviewbot api` (serve the HTTP API and the page) and `reviewbot api-keys create|list|revoke`."""

import typer

keys_app = typer.Typer(
    help="Keys of the HTTP API (required when it listens on a non-loopback address).",
    no_args_is_help=True,
)


def api_command() -> None:
    """Serve the HTTP API and the web page on REVIEWBOT_API_HOST:REVIEWBOT_API_PORT."""
    from api.server import serve

    serve()


@keys_app.command("create")
def create_command(
    name: str = typer.Argument(..., help="Who or what the key is for."),
    rate_limit: int | None = typer.Option(
        None, help="Requests per window for this key (default: REVIEWBOT_API_RATE_LIMIT)."
    ),
) -> None:
    """Make a key and print it once: only its hash is stored."""
    from api.keys import new_key
    from storage import open_store
    from storage.cli import clear_errors

    key = new_key()
    with clear_errors(), open_store() as store:
        store.add_api_key(key.id, name, key.key_hash, key.prefix, rate_limit)
    typer.echo(f"id {key.id} ({name}); the key, shown only now:", err=True)
    typer.echo(key.secret)


@keys_app.command("list")
def list_command(
    all_keys: bool = typer.Option(False, "--all", help="Include revoked keys."),
) -> None:
    """The keys: id, first characters, name, rate limit, created, revoked."""
    from rich.console import Console
    from rich.table import Table

    from storage import open_store
    from storage.cli import clear_errors

    with clear_errors(), open_store() as store:
        keys = store.api_keys(include_revoked=all_keys)
    table = Table("id", "key", "name", "rate limit", "created", "revoked")
    for key in keys:
        table.add_row(
            key.id,
            key.prefix + "…",
            key.name,
            "default" if key.rate_limit is None else str(key.rate_limit),
            f"{key.created_at:%Y-%m-%d %H:%M}",
            "" if key.revoked_at is None else f"{key.revoked_at:%Y-%m-%d %H:%M}",
        )
    Console().print(table)


@keys_app.command("revoke")
def revoke_command(
    key_id: str = typer.Argument(..., help="The key's id (or its first characters, rb_…)."),
) -> None:
    """Revoke a key (running APIs stop taking it within REVIEWBOT_API_KEY_CACHE_S)."""
    from storage import open_store
    from storage.cli import clear_errors

    with clear_errors(), open_store() as store:
        revoked = store.revoke_api_key(key_id)
    if not revoked:
        typer.secho(f"no active key {key_id!r}", fg="red", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root `reviewbot` app."""
    app.command("api")(api_command)
    app.add_typer(keys_app, name="api-keys")
