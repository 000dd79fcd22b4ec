"""`flask --app wsgi notifications worker|schedule`: the outbox worker and the reminder scheduler.

worker    drains the outbox with notifications.worker.Worker on the app's DATABASE_URL. Channels
          come from the environment as for `python -m notifications.worker` (its docstring lists
          SSK_SMTP_*, SSK_FCM_PROJECT, SSK_VAPID_*, SSK_SMS_GATEWAY_*), plus what the app knows:
          its SMS gateway setting, and outside production the console SMS file
          instance/outbox-sms.log and the VAPID key made under instance/.
schedule  runs every job in api/notify/registry.py JOBS once (or every N seconds with --every),
          each in its own transaction; a failing job is logged and the others still run.
"""
from __future__ import annotations

import logging
import os
import signal
import threading
import time as _time
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from api import clock
from api.db import db
from api.notify import edge

log = logging.getLogger("ssk.notify.cli")

notifications_cli = AppGroup("notifications", help="Outbox worker and reminder scheduler.")


def worker_env(app: Flask, base: dict | None = None) -> dict[str, str]:
    """The worker's channel environment: the process's own, completed with the app's settings."""
    settings = app.extensions["ssk_settings"]
    env = dict(os.environ if base is None else base)
    if settings.sms_provider == "http" and settings.sms_gateway_url:
        env.setdefault("SSK_SMS_GATEWAY_URL", settings.sms_gateway_url)
    elif settings.environment != "production" and not env.get("SSK_SMS_GATEWAY_URL"):
        env.setdefault("SSK_SMS_OUTBOX", str(Path(app.instance_path) / "outbox-sms.log"))
    keys = edge.vapid_keys(app)
    if keys is not None and not env.get("SSK_VAPID_PRIVATE_KEY"):
        env["SSK_VAPID_PRIVATE_KEY"] = keys.private_key
        env.setdefault("SSK_VAPID_SUBJECT", keys.subject)
    return env


@notifications_cli.command("worker")
@click.option("--batch", type=int, default=50, show_default=True)
@click.option("--lease-seconds", type=float, default=60.0, show_default=True)
@click.option("--max-attempts", type=int, default=8, show_default=True)
@click.option("--poll-seconds", type=float, default=1.0, show_default=True)
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit (cron, tests).")
@click.option("--worker-id", default=None)
def worker(batch, lease_seconds, max_attempts, poll_seconds, once, worker_id):
    """Send due outbox messages through the configured channels, with retries."""
    from notifications.worker import Worker, channels_from_env

    app = current_app._get_current_object()
    channels = channels_from_env(worker_env(app))
    w = Worker(db.engine, channels, batch=batch, lease=timedelta(seconds=lease_seconds),
               max_attempts=max_attempts, clock=clock.now, worker_id=worker_id)
    click.echo(f"worker {w.worker_id}: channels {', '.join(sorted(channels))}", err=True)
    try:
        if once:
            claimed = 0
            while n := w.run_once():
                claimed += n
            click.echo(f"claimed {claimed} message(s)")
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        w.run_forever(stop, poll=poll_seconds)
    finally:
        for channel in channels.values():
            if hasattr(channel, "close"):
                channel.close()


@notifications_cli.command("schedule")
@click.option("--every", type=float, default=None,
              help="Run the jobs every this many seconds until stopped (default: once).")
@click.option("--job", "only", multiple=True, help="Run only these jobs (module:function).")
def schedule(every, only):
    """Enqueue due reminders (and continue campaigns); safe to run twice: keys dedupe."""
    from api.notify.schedule import run_jobs

    stop = threading.Event()
    if every:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
    failed = False
    while True:
        started = _time.monotonic()
        for result in run_jobs(db.sessions(), clock.now(), only=only or None):
            failed |= result.error is not None
            click.echo(f"{result.job}\t{result.error or result.enqueued}")
        if not every or stop.wait(max(0.0, every - (_time.monotonic() - started))):
            break
    if failed and not every:
        raise SystemExit(1)


@notifications_cli.command("vapid-key")
@click.option("--new", "new", is_flag=True,
              help="Make a fresh pair for SSK_VAPID_PRIVATE_KEY (production) instead.")
def vapid_key(new):
    """Print the VAPID public key in use (or a new pair to put in the environment)."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from api.notify import vapid

    if new:
        raw = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
        keys = vapid.keys_from(vapid.b64u(raw.to_bytes(32, "big")))
        click.echo(f"SSK_VAPID_PRIVATE_KEY={keys.private_key}\n# public key: {keys.public_key}")
        return
    keys = edge.vapid_keys(current_app._get_current_object())
    if keys is None:
        raise click.ClickException("no VAPID key: set SSK_VAPID_PRIVATE_KEY")
    click.echo(keys.public_key)
