from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.db import Base, UTCDateTime, uuid_pk


class Account(Base):
    """A login. The person is the key; an account is how one person signs in (phone may change)."""

    __tablename__ = "account"
    id: so.Mapped[str] = uuid_pk()
    phone: so.Mapped[str] = so.mapped_column(sa.String(16), unique=True)  # E.164
    person_id: so.Mapped[str | None] = so.mapped_column(
        sa.ForeignKey("person.id", ondelete="SET NULL"), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    disabled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class OtpChallenge(Base):
    """A one-time code sent by SMS: only its hash is kept; 5 minutes, 5 tries."""

    __tablename__ = "otp_challenge"
    id: so.Mapped[str] = uuid_pk()
    phone: so.Mapped[str] = so.mapped_column(sa.String(16), index=True)
    purpose: so.Mapped[str] = so.mapped_column(sa.String(16))  # sign_in | claim
    subject_id: so.Mapped[str | None] = so.mapped_column(sa.String(36))  # the claim it proves
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    ip: so.Mapped[str] = so.mapped_column(sa.String(45), index=True)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class Passkey(Base):
    __tablename__ = "passkey"
    id: so.Mapped[str] = uuid_pk()
    account_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"), index=True)
    credential_id: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(1024), unique=True)
    public_key: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(2048))
    sign_count: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
    transports: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class WebauthnChallenge(Base):
    """The server's half of a ceremony; single use, two minutes."""

    __tablename__ = "webauthn_challenge"
    id: so.Mapped[str] = uuid_pk()
    account_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"))
    purpose: so.Mapped[str] = so.mapped_column(sa.String(16))  # register | login
    challenge: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary(64))
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class UserSession(Base):
    """A server session; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "user_session"
    id: so.Mapped[str] = uuid_pk()
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    csrf_token: so.Mapped[str] = so.mapped_column(sa.String(64))
    account_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"), index=True)
    via: so.Mapped[str] = so.mapped_column(sa.String(8))  # otp | passkey
    user_agent: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    last_seen_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    expires_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class RoleAssignment(Base):
    """A staff role bound to an organisation unit (none for checkpoint officers)."""

    __tablename__ = "role_assignment"
    __table_args__ = (sa.UniqueConstraint("account_id", "role", "unit_id"),)
    id: so.Mapped[str] = uuid_pk()
    account_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"), index=True)
    role: so.Mapped[str] = so.mapped_column(sa.String(32))
    unit_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("org_unit.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class IdempotencyRecord(Base):
    """The first answer to a write, replayed when a phone resends the same Idempotency-Key."""

    __tablename__ = "idempotency_record"
    principal: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)  # account id or ip
    key: so.Mapped[str] = so.mapped_column(sa.String(80), primary_key=True)
    fingerprint: so.Mapped[str] = so.mapped_column(sa.String(64))
    status: so.Mapped[int] = so.mapped_column(default=0)  # 0 = in progress
    body: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary)
    content_type: so.Mapped[str] = so.mapped_column(sa.String(80), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
