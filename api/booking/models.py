"""Registrations, vaccination sessions with their slots, bookings.

The capacity invariant lives in `slot`: `booked` only moves through a conditional UPDATE
(`booked < capacity` to take a seat, a status change of the booking to give one back) and a CHECK
keeps it between 0 and `capacity` whatever the code does. One active booking per person and dose
is a UNIQUE partial index.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.db import Base, UTCDateTime, uuid_pk

LIVE_REGISTRATION = ("submitted", "approved", "allocated")
ACTIVE_BOOKING = ("booked", "confirmed")


class Registration(Base):
    """A person asking to be vaccinated against a disease; the province approves and allocates."""

    __tablename__ = "registration"
    id: so.Mapped[str] = uuid_pk()
    person_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    disease: so.Mapped[str] = so.mapped_column(sa.String(20))
    priority_group: so.Mapped[str] = so.mapped_column(sa.String(32))
    preferred_province_code: so.Mapped[int] = so.mapped_column(sa.Integer)
    preferred_ward_code: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    note: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    # submitted → approved → allocated; submitted → rejected; any live → cancelled
    status: so.Mapped[str] = so.mapped_column(sa.String(12))
    status_reason: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    allocated_unit_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("org_unit.id"))
    created_by: so.Mapped[str] = so.mapped_column(sa.String(36))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


# One live registration per person and disease; the department's queue reads by province.
sa.Index("uq_registration_live", Registration.person_id, Registration.disease, unique=True,
         postgresql_where=Registration.status.in_(LIVE_REGISTRATION),
         sqlite_where=Registration.status.in_(LIVE_REGISTRATION))
sa.Index("ix_registration_queue", Registration.preferred_province_code, Registration.status,
         Registration.created_at)


class RegistrationEvent(Base):
    """Each status change, shown to the citizen as the registration's history."""

    __tablename__ = "registration_event"
    id: so.Mapped[int] = so.mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"),
                                          primary_key=True)  # increasing: the order of events
    registration_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("registration.id", ondelete="CASCADE"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(12))
    reason: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    unit_id: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    actor_account_id: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class VaccinationSession(Base):
    """A site's opening for one product on one day, split into one or more slots."""

    __tablename__ = "vaccination_session"
    id: so.Mapped[str] = uuid_pk()
    site_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    product_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("vaccine_product.id"))
    day: so.Mapped[date] = so.mapped_column(sa.Date, index=True)  # local date (Asia/Ho_Chi_Minh)
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    capacity: so.Mapped[int] = so.mapped_column(sa.Integer)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="open")  # open | cancelled
    note: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    created_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class Slot(Base):
    """One bookable window of a session with its own seat count: hot rows spread over slots."""

    __tablename__ = "slot"
    __table_args__ = (sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="seats"),)
    id: so.Mapped[str] = uuid_pk()
    session_id: so.Mapped[str] = so.mapped_column(
        sa.ForeignKey("vaccination_session.id", ondelete="CASCADE"), index=True)
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    capacity: so.Mapped[int] = so.mapped_column(sa.Integer)
    booked: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)


class Booking(Base):
    """A person's place in a slot for their next dose.

    booked → confirmed → attended; booked|confirmed → cancelled | missed; booked → expired
    (not confirmed in time). Leaving booked|confirmed gives the seat back, exactly once.
    """

    __tablename__ = "booking"
    __table_args__ = (sa.UniqueConstraint("booked_by", "idempotency_key", name="uq_booking_key"),)
    id: so.Mapped[str] = uuid_pk()
    person_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("person.id", ondelete="CASCADE"), index=True)
    slot_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("slot.id"), index=True)
    session_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("vaccination_session.id"), index=True)
    disease: so.Mapped[str] = so.mapped_column(sa.String(20))
    dose_number: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    dose: so.Mapped[str] = so.mapped_column(sa.String(8))  # the rule key: "1", "2", … | "booster"
    rule_id: so.Mapped[str | None] = so.mapped_column(sa.String(36))  # the rule version that allowed it
    status: so.Mapped[str] = so.mapped_column(sa.String(10))
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)  # the slot's, copied
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    confirm_by: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    booked_by: so.Mapped[str] = so.mapped_column(sa.String(36))
    # The phone's Idempotency-Key, kept with the booking: a resend finds the first booking.
    idempotency_key: so.Mapped[str | None] = so.mapped_column(sa.String(80))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    confirmed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    rescheduled_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    ended_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    end_reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")


# A person never holds two active bookings for the same dose.
sa.Index("uq_booking_active_dose", Booking.person_id, Booking.disease, Booking.dose_number, unique=True,
         postgresql_where=Booking.status.in_(ACTIVE_BOOKING), sqlite_where=Booking.status.in_(ACTIVE_BOOKING))
# The release job's two scans.
sa.Index("ix_booking_confirm_by", Booking.confirm_by, postgresql_where=Booking.status == "booked",
         sqlite_where=Booking.status == "booked")
sa.Index("ix_booking_ends_at", Booking.ends_at, postgresql_where=Booking.status.in_(ACTIVE_BOOKING),
         sqlite_where=Booking.status.in_(ACTIVE_BOOKING))
