"""`flask --app wsgi stats refresh`: bring the statistics aggregates up to date."""
from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from api import clock
from api.db import db

stats_cli = AppGroup("stats", help="Statistics aggregates.")


@stats_cli.command("refresh")
def refresh():
    """Read dose records changed since the last refresh into the aggregates."""
    from api.stats.service import refresh_stats

    started = time.perf_counter()
    with db.sessions().begin() as session:
        n = refresh_stats(session, clock.now())
    click.echo(f"stats refreshed: {n} dose records moved in {time.perf_counter() - started:.2f} s")
