"""`flask --app wsgi ...` commands: db upgrade, units, staff, demo data."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from api import clock
from api.db import db


def alembic_config():
    from alembic.config import Config

    from flask import current_app

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["engine"] = db.engine
    cfg.attributes["url"] = current_app.extensions["ssk_settings"].sqlalchemy_url
    return cfg


def register_cli(app: Flask) -> None:
    db_cli = AppGroup("db", help="Database schema (alembic).")

    @db_cli.command("upgrade")
    @click.argument("revision", default="head")
    def upgrade(revision):
        """Apply migrations up to REVISION (default: head)."""
        from alembic import command

        command.upgrade(alembic_config(), revision)
        click.echo(f"database at {revision}")

    @db_cli.command("revision")
    @click.option("-m", "--message", required=True)
    @click.option("--rev-id", default=None, help="e.g. 0002 (keeps the files in order)")
    def revision(message, rev_id):
        """Autogenerate a migration from the models (run against a database at head)."""
        from alembic import command

        command.revision(alembic_config(), message=message, autogenerate=True, rev_id=rev_id)

    @db_cli.command("check")
    def check():
        """Fail when the models and the migrations differ."""
        from alembic import command

        command.check(alembic_config())

    units = AppGroup("units", help="Organisation units.")

    @units.command("add")
    @click.option("--code", required=True)
    @click.option("--name", required=True)
    @click.option("--kind", type=click.Choice(["national", "province", "health_centre", "site"]), required=True)
    @click.option("--parent", "parent_code")
    @click.option("--province", "province_code", type=int)
    @click.option("--ward", "ward_code", type=int)
    def add_unit(code, name, kind, parent_code, province_code, ward_code):
        """Add an organisation unit under a parent."""
        from api.catalog import service

        with db.sessions().begin() as session:
            unit = service.add_unit(session, code=code, name=name, kind=kind, parent_code=parent_code,
                                    province_code=province_code, ward_code=ward_code, now=clock.now())
            click.echo(f"{unit.code}\t{unit.id}")

    staff = AppGroup("staff", help="Staff accounts.")

    @staff.command("add")
    @click.option("--phone", required=True)
    @click.option("--role", type=click.Choice(["site_staff", "department_staff", "national_admin",
                                               "checkpoint_officer"]), required=True)
    @click.option("--unit", "unit_code", help="Code of the organisation unit (not for checkpoint officers).")
    def add_staff(phone, role, unit_code):
        """Give a phone's account a staff role (it must sign in with a passkey to use it)."""
        from api.auth import service as auth
        from api.auth.phones import normalise_phone
        from api.catalog import service as catalog

        e164 = normalise_phone(phone)
        with db.sessions().begin() as session:
            account, new = auth.account_for_phone(session, e164, now=clock.now())
            unit = catalog.unit_by_code(session, unit_code) if unit_code else None
            auth.assign_role(session, account_id=account.id, role=role, unit_id=unit.id if unit else None,
                             now=clock.now())
        click.echo(f"{e164} is {role}{' at ' + unit_code if unit_code else ''}"
                   f"{' (new account)' if new else ''}: sign in with a code, then add a passkey.")

    demo = AppGroup("demo", help="Demo data for the embedded mode.")

    @demo.command("seed")
    def seed():
        """Seed organisation units (idempotent)."""
        from api.demo import seed_demo

        with db.sessions().begin() as session:
            click.echo(seed_demo(session, now=clock.now()))

    for group in (db_cli, units, staff, demo):
        app.cli.add_command(group)

    from api.certificates.commands import keys_cli

    app.cli.add_command(keys_cli)

    from api.notify.cli import notifications_cli

    app.cli.add_command(notifications_cli)

    from api.stats.cli import stats_cli

    app.cli.add_command(stats_cli)
