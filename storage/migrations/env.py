"""Alembic environment: runs on the connection storage.migrate hands over, or on REVIEWBOT_DATABASE_URL."""

from alembic import context

from storage.engine import make_engine
from storage.schema import Base
from storage.settings import StorageSettings


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = make_engine(StorageSettings().url())
    with engine.connect() as connection:
        run_migrations(connection)
    engine.dispose()
