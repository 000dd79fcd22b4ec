"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from alembic import command
from alembic.util.exc import CommandError

from api.cli import alembic_config
from api.db import db


def test_migrations_reach_the_models(app):
    with app.app_context():
        # The app fixture made the tables with create_all; start again from an empty database.
        from api.db import all_metadata

        for metadata in reversed(all_metadata()):
            metadata.drop_all(db.engine)
        cfg = alembic_config()
        command.upgrade(cfg, "head")
        try:
            command.check(cfg)
        except CommandError as exc:  # pragma: no cover - the message names the drift
            raise AssertionError(f"models and migrations differ: {exc}") from exc
