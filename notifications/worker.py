"""The outbox worker: claims due messages, sends them through the channels, records the result.

Run it as its own process (any number of them, on any number of hosts):

    python -m notifications.worker --database-url postgresql://… [--batch 50]
        [--lease-seconds 60] [--max-attempts 8] [--poll-seconds 1]

Channels come from the environment; a channel that is not configured is simply not claimed, so
its messages wait (pending, visible in `delivery_stats`) for a worker that has it:

    DATABASE_URL             used when --database-url is not given
    SSK_SMTP_HOST            e-mail: SMTP server (enables the email channel)
    SSK_SMTP_PORT            default 25
    SSK_SMTP_FROM            sender address, default no-reply@so-suc-khoe.local
    SSK_SMTP_USER / SSK_SMTP_PASSWORD   optional login
    SSK_SMTP_STARTTLS        1 to upgrade the connection with STARTTLS
    SSK_MAIL_DOMAIN          right-hand side of the Message-ID, default so-suc-khoe.local
    SSK_FCM_PROJECT          FCM: Firebase project id (enables fcm); credentials come from
                             GOOGLE_APPLICATION_CREDENTIALS (Application Default Credentials)
    SSK_VAPID_PRIVATE_KEY    Web Push: VAPID private key, raw or DER, base64url (enables webpush)
    SSK_VAPID_SUBJECT        Web Push: contact, default mailto:admin@so-suc-khoe.local
    SSK_SMS_GATEWAY_URL      SMS: HTTP gateway (enables sms); SSK_SMS_GATEWAY_TOKEN its bearer
    SSK_SMS_OUTBOX           SMS in embedded mode: the console provider's file (when no gateway)
    The in-app inbox needs no configuration and is always on.

Delivery semantics (at least once, duplicates bounded and recognisable):
- A message is claimed in one short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a
  `BEGIN IMMEDIATE` write lock on SQLite), which sets status=sending, a lease, and attempts+1.
  Two workers never hold the same message while its lease runs.
- Each message is then sent on its own and its result committed at once, in its own transaction,
  before the next is sent. If the worker dies (SIGKILL, power) after a provider accepted a message
  but before that commit, the message is claimed again when its lease ends and sent again: at most
  ONE message per killed worker (the one in flight) can be delivered twice. No commit protocol
  can close that window against a provider that does not deduplicate, so every channel carries the
  outbox id for the receiver to recognise the resend: e-mail Message-ID, FCM data["outbox_id"]
  plus Android collapse key / APNs collapse id, Web Push Topic header, SMS gateway Idempotency-Key.
  The same holds when the database, not the worker, fails between the send and its record (the
  record is lost, the lease ends, the message is sent again): again at most one per worker.
  The record is one autocommitted UPDATE on PostgreSQL (one round trip), to keep the window short.
- A message whose lease runs out while a worker still holds it (a send slower than the lease) can
  be claimed by another worker; the first worker's late result is then discarded (the claim's
  attempt number is a fencing token) and logged. Keep the lease well above the channels' timeouts.
- Messages not yet sent when a worker is killed are simply claimed again after the lease: none is
  lost. Every claim counts as an attempt, so a message that kills its worker every time (a poison
  message) is dead-lettered after max_attempts instead of looping for ever.
- Failures are retried with exponential backoff and full jitter; a permanent failure (a push
  subscription gone, an address refused) or the last attempt moves the message to status=dead
  with its last_error, which `outbox.delivery_stats` shows to staff.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import random
import signal
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Callable, Mapping

import sqlalchemy as sa

from notifications.channels import Channel, DeliveryFailed, InboxChannel, OutboxMessage
from notifications.models import outbox_message as t
from notifications.outbox import backoff_delay
from notifications.templates import TemplateError, render

log = logging.getLogger("ssk.notifications.worker")

# The same text as the partial index's predicate (models.py): PostgreSQL uses a partial index
# only when it can prove the query implies the predicate, which bound parameters would hide.
_LIVE = sa.text("outbox_message.status IN ('pending', 'sending')")


class Worker:
    """Drains the outbox; one instance per process (it is not thread-safe).

    :param channels: channel name → adapter with `send(OutboxMessage) -> provider_id`.
    :param lease: how long a claim is exclusive; after it a killed worker's messages are taken
        again. Must exceed the slowest send (the channels' timeouts) by a margin.
    :param max_attempts: claims per message before it is dead-lettered.
    :param clock: returns the current time, timezone-aware.
    """

    def __init__(self, engine: sa.Engine, channels: Mapping[str, Channel], *, batch: int = 50,
                 lease: timedelta = timedelta(seconds=60), max_attempts: int = 8,
                 clock: Callable[[], datetime],
                 backoff_base: timedelta = timedelta(seconds=30),
                 backoff_cap: timedelta = timedelta(hours=2),
                 rng: random.Random | None = None, worker_id: str | None = None) -> None:
        if not channels:
            raise ValueError("a worker needs at least one channel")
        self.engine = engine
        self.channels = dict(channels)
        self.batch = batch
        self.lease = lease
        # Stop starting sends this long before the lease ends, so a send that takes up to a
        # channel timeout still finishes (and records) inside the lease.
        self.lease_margin = min(timedelta(seconds=15), lease / 2)
        self.max_attempts = max_attempts
        self.clock = clock
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.rng = rng or random.Random()
        self.worker_id = (worker_id or
                          f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")[:64]
        self._sqlite = engine.dialect.name == "sqlite"

    # -- claiming ----------------------------------------------------------------------------
    def claim(self) -> list[sa.Row]:
        """Take up to `batch` due messages (new, retry-due or abandoned) for this worker."""
        now = self.clock()
        lease_until = now + self.lease
        due = (sa.select(t.c.id)
               .where(_LIVE, t.c.next_attempt_at <= now, t.c.channel.in_(sorted(self.channels)))
               .order_by(t.c.next_attempt_at)
               .limit(self.batch)
               # PostgreSQL: rows another worker is claiming are skipped, not waited for; rows it
               # claimed and committed no longer match (READ COMMITTED re-checks the WHERE on
               # the new row version). SQLite ignores FOR UPDATE: there the write lock below
               # serialises claimers instead.
               .with_for_update(skip_locked=True))
        stmt = (sa.update(t).where(t.c.id.in_(due.scalar_subquery()))
                .values(status="sending", attempts=t.c.attempts + 1, lease_until=lease_until,
                        next_attempt_at=lease_until, claimed_by=self.worker_id)
                .returning(t.c.id, t.c.channel, t.c.recipient, t.c.template, t.c.params,
                           t.c.lang, t.c.urgent, t.c.attempts, t.c.account_id, t.c.person_id,
                           t.c.lease_until, t.c.next_attempt_at))
        with self.engine.connect() as conn, conn.begin():
            if self._sqlite and not conn.connection.driver_connection.in_transaction:
                # An engine without the BEGIN IMMEDIATE hook (api/db.py and notifications/db.py
                # have it): take the write lock now so two claimers cannot both read the rows.
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            rows = conn.execute(stmt).all()
        return sorted(rows, key=lambda r: (not r.urgent, r.id))  # safety messages first

    # -- one pass ----------------------------------------------------------------------------
    def run_once(self, stop_event: threading.Event | None = None) -> int:
        """Claim one batch and deliver it; returns how many messages were claimed."""
        rows = self.claim()
        if not rows:
            return 0
        with self._recorder() as conn:
            for i, row in enumerate(rows):
                if (stop_event is not None and stop_event.is_set()) or \
                        self.clock() >= row.lease_until - self.lease_margin:
                    self._release(rows[i:], conn)
                    break
                self._deliver(row, conn)
        return len(rows)

    @contextlib.contextmanager
    def _recorder(self):
        """One connection for a batch's results; on PostgreSQL in autocommit.

        Each result is one UPDATE committed on its own: in autocommit that is one round trip
        (no pool pre-ping, BEGIN, COMMIT), which both speeds the worker up and shortens the
        window in which a crash leaves a delivered message unrecorded.
        """
        with self.engine.connect() as conn:
            if not self._sqlite:
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    def _write(self, conn: sa.Connection | None, stmt) -> int:
        if conn is None:
            with self._recorder() as own:
                return self._write(own, stmt)
        if self._sqlite:
            with conn.begin():  # BEGIN IMMEDIATE through the engine's hook
                return conn.execute(stmt).rowcount
        rowcount = conn.execute(stmt).rowcount
        conn.commit()  # a no-op on the wire in autocommit; ends SQLAlchemy's logical transaction
        return rowcount

    def run_forever(self, stop_event: threading.Event, *, poll: float = 1.0) -> None:
        """Work until `stop_event` is set; sleeps `poll` seconds when the outbox has nothing due."""
        log.info("worker %s started, channels %s", self.worker_id, sorted(self.channels))
        failures = 0
        while not stop_event.is_set():
            try:
                n = self.run_once(stop_event)
                failures = 0
            except sa.exc.DBAPIError as exc:  # the database restarting, a failover: wait, retry
                failures += 1
                n = 0
                log.warning("outbox unavailable (%s), retrying", exc.__class__.__name__)
                stop_event.wait(min(30.0, poll * 2 ** min(failures, 5)))
                continue
            if n < self.batch:
                stop_event.wait(poll)
        log.info("worker %s stopped", self.worker_id)

    # -- one message -------------------------------------------------------------------------
    def _deliver(self, row: sa.Row, conn: sa.Connection | None = None) -> None:
        if row.attempts > self.max_attempts:
            # Claimed again and again without a result: its worker died each time.
            self._record_failure(row, "no result after every attempt (worker lost)", True, conn)
            return
        try:
            rendered = render(row.template, row.lang, row.params)
        except TemplateError as exc:
            self._record_failure(row, f"template: {exc}", True, conn)
            return
        message = OutboxMessage(
            id=row.id, channel=row.channel, to=row.recipient, template=row.template,
            params=row.params, lang=row.lang, title=rendered.title, body=rendered.body,
            urgent=row.urgent, attempt=row.attempts, account_id=row.account_id,
            person_id=row.person_id)
        try:
            provider_id = self.channels[row.channel].send(message)
        except DeliveryFailed as exc:
            self._record_failure(row, str(exc), exc.permanent, conn)
        except Exception as exc:  # a bug or an SDK surprise must not stop the other messages
            log.exception("channel %s raised on message %s", row.channel, row.id)
            self._record_failure(row, f"{type(exc).__name__}: {exc}", False, conn)
        else:
            self._record_sent(row, provider_id, conn)

    def _mine(self, row: sa.Row):
        # (id, attempts) identifies this claim: if the lease ran out and another worker claimed
        # the message, attempts moved on and our late write matches nothing.
        return sa.and_(t.c.id == row.id, t.c.attempts == row.attempts, t.c.status == "sending")

    def _record_sent(self, row: sa.Row, provider_id: str | None,
                     conn: sa.Connection | None = None) -> None:
        done = self._write(conn, sa.update(t).where(self._mine(row)).values(
            status="sent", sent_at=self.clock(), provider_id=(provider_id or "")[:255],
            lease_until=None, last_error=None))
        if not done:
            log.warning("message %s was sent after its lease ended and was claimed again: "
                        "it may be delivered twice (same outbox id)", row.id)

    def _record_failure(self, row: sa.Row, reason: str, permanent: bool,
                        conn: sa.Connection | None = None) -> None:
        now = self.clock()
        dead = permanent or row.attempts >= self.max_attempts
        values = dict(last_error=reason[:2000], lease_until=None)
        if dead:
            values.update(status="dead")
            log.warning("message %s dead after %d attempts: %s", row.id, row.attempts, reason)
        else:
            values.update(status="pending", next_attempt_at=now + backoff_delay(
                row.attempts, base=self.backoff_base, cap=self.backoff_cap, rng=self.rng))
        self._write(conn, sa.update(t).where(self._mine(row)).values(**values))

    def _release(self, rows: list[sa.Row], conn: sa.Connection | None = None) -> None:
        """Hand back claimed messages we will not send now (stopping, or the lease is nearly up)."""
        now = self.clock()
        for row in rows:
            self._write(conn, sa.update(t).where(self._mine(row)).values(
                status="pending", attempts=t.c.attempts - 1, next_attempt_at=now,
                lease_until=None))


def channels_from_env(env: Mapping[str, str]) -> dict[str, Channel]:
    """The channels the environment configures (see the module docstring); inbox always."""
    channels: dict[str, Channel] = {"inbox": InboxChannel()}
    if env.get("SSK_SMTP_HOST"):
        from notifications.channels.email import SmtpChannel

        channels["email"] = SmtpChannel(
            env["SSK_SMTP_HOST"], int(env.get("SSK_SMTP_PORT") or 25),
            sender=env.get("SSK_SMTP_FROM") or "no-reply@so-suc-khoe.local",
            username=env.get("SSK_SMTP_USER") or None, password=env.get("SSK_SMTP_PASSWORD"),
            starttls=env.get("SSK_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
            message_id_domain=env.get("SSK_MAIL_DOMAIN") or "so-suc-khoe.local")
    if env.get("SSK_FCM_PROJECT"):
        from notifications.channels.fcm import FcmChannel

        channels["fcm"] = FcmChannel(env["SSK_FCM_PROJECT"])
    if env.get("SSK_VAPID_PRIVATE_KEY"):
        from notifications.channels.webpush import WebPushChannel

        channels["webpush"] = WebPushChannel(
            env["SSK_VAPID_PRIVATE_KEY"],
            env.get("SSK_VAPID_SUBJECT") or "mailto:admin@so-suc-khoe.local")
    if env.get("SSK_SMS_GATEWAY_URL"):
        from notifications.channels.sms import HttpSmsGateway, SmsChannel

        channels["sms"] = SmsChannel(HttpSmsGateway(env["SSK_SMS_GATEWAY_URL"],
                                                    env.get("SSK_SMS_GATEWAY_TOKEN", "")))
    elif env.get("SSK_SMS_OUTBOX"):
        from pathlib import Path

        from notifications.channels.sms import ConsoleSms, SmsChannel

        channels["sms"] = SmsChannel(ConsoleSms(Path(env["SSK_SMS_OUTBOX"])))
    return channels


def main(argv: list[str] | None = None) -> int:
    from notifications.db import make_engine

    parser = argparse.ArgumentParser(prog="python -m notifications.worker",
                                     description="Drain the notification outbox.")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--lease-seconds", type=float, default=60.0)
    parser.add_argument("--max-attempts", type=int, default=8)
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    parser.add_argument("--worker-id")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url or DATABASE_URL is required")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # Built here, in the worker process, never at import: SDK clients are made on first send.
    engine = make_engine(args.database_url)
    channels = channels_from_env(os.environ)
    worker = Worker(engine, channels, batch=args.batch,
                    lease=timedelta(seconds=args.lease_seconds), max_attempts=args.max_attempts,
                    clock=lambda: datetime.now(timezone.utc), worker_id=args.worker_id)
    try:
        worker.run_forever(stop, poll=args.poll_seconds)
    finally:
        for channel in channels.values():
            if hasattr(channel, "close"):
                channel.close()
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
