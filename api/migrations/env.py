"""Alembic environment: our models' metadata and the outbox's; the engine comes from the app."""
from alembic import context

from api.db import all_metadata, make_engine

config = context.config
target_metadata = all_metadata()


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine(config.attributes["url"])
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
