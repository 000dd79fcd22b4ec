"""Writing to the outbox (in the caller's transaction), quiet hours, and delivery figures.

`enqueue` is called by the API's services inside the transaction that makes the change the
message is about: the booking and its reminder commit together or not at all, so no message is
lost when the process dies after the commit and none announces a change that rolled back.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Mapping
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from notifications import templates
from notifications.models import CHANNELS, LANGS, new_id, outbox_message

VN_TZ = "Asia/Ho_Chi_Minh"


def _dialect(conn_or_session: sa.Connection | so.Session) -> str:
    if isinstance(conn_or_session, so.Session):
        return conn_or_session.get_bind().dialect.name
    return conn_or_session.dialect.name


def quiet_hours_delay(now: datetime, start: time, end: time, tz: str = VN_TZ) -> datetime:
    """The first moment at or after `now` outside the quiet hours [start, end) local time.

    A window may wrap midnight (22:00-07:00). start == end means no quiet hours. Returns
    timezone-aware UTC-comparable datetimes (the same tzinfo as `now` when `now` is allowed).
    """
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass timezone-aware UTC")
    if start == end:
        return now
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    t = local.time().replace(tzinfo=None)
    if start < end:
        quiet = start <= t < end
        end_day = local.date()
    else:  # wraps midnight: quiet from start to 24:00 and from 00:00 to end
        quiet = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    if not quiet:
        return now
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(now.tzinfo)


def enqueue(conn_or_session: sa.Connection | so.Session, *, dedupe_key: str, channel: str,
            to: Any, template: str, params: Mapping[str, Any], lang: str,
            account_id: str | None = None, person_id: str | None = None, urgent: bool = False,
            not_before: datetime | None = None,
            quiet_hours: tuple[time, time] | None = None, tz: str = VN_TZ,
            now: datetime) -> str | None:
    """Add one message to the outbox in the caller's transaction; nothing if dedupe_key exists.

    :param to: the channel's address (see models.outbox_message.recipient); None for inbox.
    :param account_id: whose in-app inbox shows it (the guardian for a dependant's message).
    :param person_id: the person the message is about (the dependant).
    :param not_before: send no earlier (a reminder scheduled for the day before).
    :param quiet_hours: the recipient's (start, end) local time; a non-urgent push, SMS or
        e-mail due inside them waits until `end`. Urgent safety messages ignore them; the in-app
        inbox is silent and ignores them too.
    :returns: the new message id, or None when the dedupe key was already there.
    :raises ValueError: unknown channel or language.
    :raises templates.TemplateError: unknown template or a missing param (found now, in the
        caller's transaction, not days later in the worker).
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}")
    templates.render(template, lang, params)
    due = max(now, not_before) if not_before is not None else now
    if quiet_hours is not None and not urgent and channel != "inbox":
        due = quiet_hours_delay(due, quiet_hours[0], quiet_hours[1], tz)
    message_id = new_id()
    values = dict(id=message_id, dedupe_key=dedupe_key, channel=channel, recipient=to,
                  account_id=account_id, person_id=person_id, template=template,
                  params=dict(params), lang=lang, urgent=urgent, status="pending", attempts=0,
                  next_attempt_at=due, created_at=now)
    insert = postgresql.insert if _dialect(conn_or_session) == "postgresql" else sqlite.insert
    # RETURNING, not rowcount: the DBAPI's rowcount for INSERT … ON CONFLICT is not reliable
    # (psycopg reports -1 through SQLAlchemy 2.1); a returned row is the proof of the insert.
    stmt = insert(outbox_message).values(**values).on_conflict_do_nothing(
        index_elements=[outbox_message.c.dedupe_key]).returning(outbox_message.c.id)
    return conn_or_session.execute(stmt).scalar_one_or_none()


def backoff_delay(attempt: int, *, base: timedelta = timedelta(seconds=30),
                  cap: timedelta = timedelta(hours=2),
                  rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**(attempt-1))].

    Full jitter (AWS architecture blog, "Exponential Backoff And Jitter") spreads the retries of
    many messages that failed together (a provider outage) instead of bringing them back at once.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    ceiling = min(cap.total_seconds(), base.total_seconds() * 2 ** min(attempt - 1, 62))
    return timedelta(seconds=(rng or random).uniform(0, ceiling))


@dataclass(frozen=True)
class DeadLetter:
    id: str
    channel: str
    template: str
    attempts: int
    last_error: str | None
    created_at: datetime
    account_id: str | None
    person_id: str | None


@dataclass(frozen=True)
class DeliveryStats:
    """Counts by channel and status, and the latest dead letters with their errors."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    dead: list[DeadLetter] = field(default_factory=list)

    def total(self, status: str | None = None, channel: str | None = None) -> int:
        return sum(n for ch, by_status in self.counts.items() if channel in (None, ch)
                   for st, n in by_status.items() if status in (None, st))


def delivery_stats(conn: sa.Connection | so.Session, *, since: datetime | None = None,
                   until: datetime | None = None, template: str | None = None,
                   dead_limit: int = 50) -> DeliveryStats:
    """Delivery figures for staff: messages created in [since, until), optionally of one template.

    A campaign's figures are `template="campaign_message"` over its sending window; the dead
    letters come newest first, each with the error that finished it.
    """
    t = outbox_message
    where = []
    if since is not None:
        where.append(t.c.created_at >= since)
    if until is not None:
        where.append(t.c.created_at < until)
    if template is not None:
        where.append(t.c.template == template)
    counts: dict[str, dict[str, int]] = {}
    for channel, status, n in conn.execute(
            sa.select(t.c.channel, t.c.status, sa.func.count()).where(*where)
            .group_by(t.c.channel, t.c.status)):
        counts.setdefault(channel, {})[status] = n
    dead = [DeadLetter(**row._mapping) for row in conn.execute(
        sa.select(t.c.id, t.c.channel, t.c.template, t.c.attempts, t.c.last_error,
                  t.c.created_at, t.c.account_id, t.c.person_id)
        .where(t.c.status == "dead", *where)
        .order_by(t.c.created_at.desc()).limit(dead_limit))]
    return DeliveryStats(counts=counts, dead=dead)
