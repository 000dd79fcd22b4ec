"""The outbox table, on its own MetaData so the API can add it to its create_all and alembic.

The API includes it with ``target_metadata = [Base.metadata, notifications.models.metadata]`` in
alembic's env.py (or ``notifications.models.metadata.create_all(engine)`` in embedded mode). No
foreign keys point into the API's tables: this package never imports `api`.
"""
from __future__ import annotations

import uuid
from datetime import timezone

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

# The same convention as api/db.py NAMING, so alembic autogenerate names constraints alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

CHANNELS = ("fcm", "webpush", "sms", "email", "inbox")
STATUSES = ("pending", "sending", "sent", "dead")
LANGS = ("vi", "en")


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out; SQLite (no time zones) stores naive UTC.

    The same idea as api/db.py's UTCDateTime, copied because this package never imports `api`.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass timezone-aware UTC")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (value.replace(tzinfo=timezone.utc) if value.tzinfo is None
                else value.astimezone(timezone.utc))


def new_id() -> str:
    return str(uuid.uuid4())


# none_as_null: a missing recipient (inbox) is SQL NULL, not the JSON text 'null'.
_JSON = sa.JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


outbox_message = sa.Table(
    "outbox_message",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True, default=new_id),
    # Callers derive it from what causes the message ("appt-day-before:<booking>:<slot start>"),
    # so replaying the same domain event enqueues nothing new.
    sa.Column("dedupe_key", sa.String(200), nullable=False, unique=True),
    sa.Column("channel", sa.String(8), nullable=False),
    # sms: "+84…"; email: "a@b"; fcm: {"fid": …} or {"token": …}; webpush: the PushSubscription
    # JSON {endpoint, keys: {p256dh, auth}}; inbox: null (account_id says whose inbox).
    sa.Column("recipient", _JSON, nullable=True),
    sa.Column("account_id", sa.String(36), nullable=True),
    sa.Column("person_id", sa.String(36), nullable=True),
    sa.Column("template", sa.String(64), nullable=False),
    sa.Column("params", _JSON, nullable=False),
    sa.Column("lang", sa.String(2), nullable=False),
    sa.Column("urgent", sa.Boolean(create_constraint=False), nullable=False, default=False),
    sa.Column("status", sa.String(8), nullable=False, default="pending"),
    # Incremented when a worker claims the message: (id, attempts) is the claim's fencing token.
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    # When the message may next be claimed: the due time while pending, the lease's end while
    # sending (so one partial index finds both new work and work abandoned by a killed worker).
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("lease_until", UTCDateTime, nullable=True),
    sa.Column("claimed_by", sa.String(64), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("provider_id", sa.String(255), nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    # In-app inbox: when the holder opened it (null = unread). Other channels leave it null.
    sa.Column("read_at", UTCDateTime, nullable=True),
    sa.CheckConstraint(_in("channel", CHANNELS), name="channel"),
    sa.CheckConstraint(_in("status", STATUSES), name="status"),
    sa.CheckConstraint(_in("lang", LANGS), name="lang"),
    sa.CheckConstraint("attempts >= 0", name="attempts"),
)

# Claiming reads "status in (pending, sending) and next_attempt_at <= now order by
# next_attempt_at": a partial index holds only the live rows, so it stays small however many
# millions of sent rows pile up beside it.
sa.Index(
    "ix_outbox_message_due",
    outbox_message.c.next_attempt_at,
    postgresql_where=sa.text("status IN ('pending', 'sending')"),
    sqlite_where=sa.text("status IN ('pending', 'sending')"),
)
# The in-app inbox of one account, newest first.
sa.Index("ix_outbox_message_account_id", outbox_message.c.account_id, outbox_message.c.created_at)
