"""Who hears about what, and where: channel preferences, push devices, department campaigns.

The messages themselves are rows of `outbox_message` (notifications/models.py); these tables
only say how to address them.
"""
from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects.postgresql import JSONB

from api.db import Base, UTCDateTime, uuid_pk

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


class NotificationPreference(Base):
    """One account's channels, language and quiet hours; no row means the defaults."""

    __tablename__ = "notification_preference"
    account_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), primary_key=True)
    push: so.Mapped[bool] = so.mapped_column(default=True)
    sms: so.Mapped[bool] = so.mapped_column(default=False)
    email: so.Mapped[bool] = so.mapped_column(default=False)
    email_address: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    # Health messages go to an address only after its holder typed the code we sent there: a
    # mistyped address must not receive someone else's appointments.
    email_verified_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    email_code_hash: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    email_code_sent_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    email_code_attempts: so.Mapped[int] = so.mapped_column(default=0)
    lang: so.Mapped[str] = so.mapped_column(sa.String(2), default="vi")
    # Local wall-clock times in `time_zone`; both NULL = no quiet hours.
    quiet_start: so.Mapped[time | None] = so.mapped_column(sa.Time)
    quiet_end: so.Mapped[time | None] = so.mapped_column(sa.Time)
    time_zone: so.Mapped[str] = so.mapped_column(sa.String(64), default="Asia/Ho_Chi_Minh")
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class PushSubscription(Base):
    """A browser's Web Push subscription (PushSubscription.toJSON()); one per device and browser."""

    __tablename__ = "push_subscription"
    id: so.Mapped[str] = uuid_pk()
    account_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), index=True)
    endpoint: so.Mapped[str] = so.mapped_column(sa.String(2048))
    # SHA-256 of the endpoint: endpoints run to hundreds of characters; the unique index on the
    # hash stays small. The same browser subscribing again (or for another account) is one row.
    endpoint_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    p256dh: so.Mapped[str] = so.mapped_column(sa.String(128))
    auth: so.Mapped[str] = so.mapped_column(sa.String(64))
    user_agent: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class FcmToken(Base):
    """A phone app's Firebase Cloud Messaging registration token."""

    __tablename__ = "fcm_token"
    id: so.Mapped[str] = uuid_pk()
    account_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), index=True)
    token: so.Mapped[str] = so.mapped_column(sa.String(4096))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    platform: so.Mapped[str] = so.mapped_column(sa.String(8))  # android | ios | web
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class Campaign(Base):
    """A department's message to a targeted group, fanned out to accounts in batches.

    The audience is frozen at `created_at` (people created later are not added). `cursor` is the
    last account id fanned out; the scheduler continues a campaign still `sending`.
    """

    __tablename__ = "campaign"
    id: so.Mapped[str] = uuid_pk()
    unit_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    created_by: so.Mapped[str | None] = so.mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL"))
    target: so.Mapped[dict] = so.mapped_column(_JSON)
    template: so.Mapped[str] = so.mapped_column(sa.String(64))
    params: so.Mapped[dict] = so.mapped_column(_JSON)  # {"vi": {...}, "en": {...}}
    status: so.Mapped[str] = so.mapped_column(sa.String(8))  # sending | sent
    people: so.Mapped[int] = so.mapped_column(default=0)
    accounts: so.Mapped[int] = so.mapped_column(default=0)
    accounts_done: so.Mapped[int] = so.mapped_column(default=0)
    messages: so.Mapped[int] = so.mapped_column(default=0)
    cursor: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
