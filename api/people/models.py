from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.db import Base, UTCDateTime, uuid_pk


class Person(Base):
    """One human being, with or without an account of their own."""

    __tablename__ = "person"
    id: so.Mapped[str] = uuid_pk()
    full_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    date_of_birth: so.Mapped[date] = so.mapped_column(sa.Date)
    sex: so.Mapped[str] = so.mapped_column(sa.String(1))  # M | F
    # CCCD: 12 digits; one person per number across the system (NULLs do not collide)
    national_id: so.Mapped[str | None] = so.mapped_column(sa.String(12), unique=True)
    phone: so.Mapped[str | None] = so.mapped_column(sa.String(16))
    province_code: so.Mapped[int | None] = so.mapped_column(sa.Integer, index=True)
    ward_code: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    address_line: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    created_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    version: so.Mapped[int] = so.mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}


class Guardianship(Base):
    """An account that manages a dependant's profile. Pending until the invited guardian accepts."""

    __tablename__ = "guardianship"
    id: so.Mapped[str] = uuid_pk()
    person_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    guardian_account_id: so.Mapped[str | None] = so.mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), index=True)
    invited_phone: so.Mapped[str | None] = so.mapped_column(sa.String(16), index=True)
    invited_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    relationship: so.Mapped[str] = so.mapped_column(sa.String(16))
    status: so.Mapped[str] = so.mapped_column(sa.String(8))  # pending | active | ended
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    ended_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


# One live link per guardian and dependant: a dependant added twice is a conflict, not a copy.
sa.Index("uq_guardianship_live", Guardianship.person_id, Guardianship.guardian_account_id,
         unique=True, postgresql_where=Guardianship.status != "ended",
         sqlite_where=Guardianship.status != "ended")


class PersonalQr(Base):
    """The person's one QR: a signed opaque token; rotating revokes the previous one."""

    __tablename__ = "personal_qr"
    id: so.Mapped[str] = uuid_pk()
    person_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    token_id: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)  # hex of 16 random bytes
    token: so.Mapped[str] = so.mapped_column(sa.String(400))
    issued_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)


class ProfileClaim(Base):
    """A person taking over the profile a guardian kept for them, proven by a code to their phone."""

    __tablename__ = "profile_claim"
    id: so.Mapped[str] = uuid_pk()
    person_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"))
    account_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"))
    status: so.Mapped[str] = so.mapped_column(sa.String(12))  # code_sent | done
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
