"""Statistics aggregates, kept up to date from dose records by `service.refresh_stats`.

- `stat_dose_seen`: what each dose record last contributed (its version, and the cell it was
  counted in, or none). A changed record is found by its `updated_at`; the old contribution is
  taken out and the new one put in, so corrections and voids move counts exactly.
- `stat_dose_daily`: doses per local day × province (of the site) × product × kind.
- `stat_lot_daily`: doses per local day × site × lot (the dashboard's days of supply).
- `stat_person`: each dosed person's coverage flags (from the rules engine's series status) and
  the date by which their next dose is recommended (overdue when past).
- `stat_due`: `stat_person` counted per province × next product × due date (overdue = due < today).
- `stat_coverage`: people per province of residence with ≥1 dose, primary complete, booster.
- `stat_registration`: what each registration last contributed to `stat_funnel_daily` (its day,
  province, allocated unit and how far it got), so a registration that moves on moves one cell.
- `stat_funnel_daily`: registrations per local day × preferred province × allocated unit, and how
  many of them were approved, allocated, booked, vaccinated (the dashboard's funnel).
- `stat_refresh`: one row, the watermark and the time of the last refresh.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.booking.models import Booking, Registration
from api.db import Base, UTCDateTime
from api.people.models import Person
from api.vaccination.models import DoseRecord

# province_code 0 = unknown (a paper-card dose without a site): primary keys cannot be NULL.
UNKNOWN_PROVINCE = 0
KINDS = ("first", "primary_complete", "booster", "other")


class StatDoseSeen(Base):
    """The contribution each dose record last made to `stat_dose_daily` (none when not counted)."""

    __tablename__ = "stat_dose_seen"
    dose_record_id: so.Mapped[str] = so.mapped_column(sa.String(36), primary_key=True)
    version: so.Mapped[int] = so.mapped_column(sa.Integer)
    counted: so.Mapped[bool] = so.mapped_column(sa.Boolean)
    day: so.Mapped[date] = so.mapped_column(sa.Date)
    province_code: so.Mapped[int] = so.mapped_column(sa.Integer)
    product_code: so.Mapped[str] = so.mapped_column(sa.String(40))
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    unit_id: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    lot_id: so.Mapped[str | None] = so.mapped_column(sa.String(36))


class StatDoseDaily(Base):
    """Counted doses per local day (Asia/Ho_Chi_Minh), site province, product and kind."""

    __tablename__ = "stat_dose_daily"
    __table_args__ = (sa.Index("ix_stat_dose_daily_province_day", "province_code", "day"),)
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    province_code: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    product_code: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16), primary_key=True)
    count: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)


class StatUnitDaily(Base):
    """Counted doses per local day and site (the dashboard's site filter and site scope)."""

    __tablename__ = "stat_unit_daily"
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    unit_id: so.Mapped[str] = so.mapped_column(sa.String(36), primary_key=True)
    count: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)


class StatLotDaily(Base):
    """Counted doses per local day, site and lot: the pace at which a site uses a lot (days of supply)."""

    __tablename__ = "stat_lot_daily"
    __table_args__ = (sa.Index("ix_stat_lot_daily_unit_day", "unit_id", "day"),)
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    unit_id: so.Mapped[str] = so.mapped_column(sa.String(36), primary_key=True)
    lot_id: so.Mapped[str] = so.mapped_column(sa.String(36), primary_key=True)
    count: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)


class StatPerson(Base):
    """One dosed person's coverage flags and next-dose due date, as last computed."""

    __tablename__ = "stat_person"
    __table_args__ = (sa.Index("ix_stat_person_province_due", "province_code", "next_due_by"),)
    person_id: so.Mapped[str] = so.mapped_column(sa.String(36), primary_key=True)
    province_code: so.Mapped[int] = so.mapped_column(sa.Integer)
    has_dose: so.Mapped[bool] = so.mapped_column(sa.Boolean)
    primary_complete: so.Mapped[bool] = so.mapped_column(sa.Boolean)
    booster: so.Mapped[bool] = so.mapped_column(sa.Boolean)
    last_unit_id: so.Mapped[str | None] = so.mapped_column(sa.String(36), index=True)
    next_product: so.Mapped[str | None] = so.mapped_column(sa.String(40))
    next_due_by: so.Mapped[date | None] = so.mapped_column(sa.Date)
    # person.version when last computed: a changed person (moved, new date of birth) is re-evaluated
    # without re-evaluating everyone whose record was touched in the refresh's overlap window.
    person_version: so.Mapped[int | None] = so.mapped_column(sa.Integer)


class StatDue(Base):
    """People per province of residence, next product and the date their next dose is recommended
    by (`stat_person` summed): the dashboard's overdue count without scanning every person."""

    __tablename__ = "stat_due"
    province_code: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    next_product: so.Mapped[str] = so.mapped_column(sa.String(40), primary_key=True)
    next_due_by: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    count: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)


class StatCoverage(Base):
    """People per province of residence: at least one dose, primary series complete, booster."""

    __tablename__ = "stat_coverage"
    province_code: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    at_least_one: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    primary_complete: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    booster: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)


class StatRegistration(Base):
    """The funnel cell each registration last counted in, and the stages it had reached."""

    __tablename__ = "stat_registration"
    registration_id: so.Mapped[str] = so.mapped_column(sa.String(36), primary_key=True)
    day: so.Mapped[date] = so.mapped_column(sa.Date)
    province_code: so.Mapped[int] = so.mapped_column(sa.Integer)
    unit_id: so.Mapped[str] = so.mapped_column(sa.String(36))  # allocated unit, '' when none
    approved: so.Mapped[bool] = so.mapped_column(sa.Boolean)
    allocated: so.Mapped[bool] = so.mapped_column(sa.Boolean)
    booked: so.Mapped[bool] = so.mapped_column(sa.Boolean)
    vaccinated: so.Mapped[bool] = so.mapped_column(sa.Boolean)


class StatFunnelDaily(Base):
    """Registrations made per local day, preferred province and allocated unit ('' = none), and
    how many of them reached each stage."""

    __tablename__ = "stat_funnel_daily"
    __table_args__ = (sa.Index("ix_stat_funnel_daily_province_day", "province_code", "day"),
                      sa.Index("ix_stat_funnel_daily_unit_day", "unit_id", "day"))
    day: so.Mapped[date] = so.mapped_column(sa.Date, primary_key=True)
    province_code: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    unit_id: so.Mapped[str] = so.mapped_column(sa.String(36), primary_key=True)
    registered: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    approved: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    allocated: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    booked: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)
    vaccinated: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)


class StatRefresh(Base):
    """The one row saying how far the aggregates have read (id = 1)."""

    __tablename__ = "stat_refresh"
    id: so.Mapped[int] = so.mapped_column(sa.Integer, primary_key=True)
    watermark: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    refreshed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    doses_changed: so.Mapped[int] = so.mapped_column(sa.Integer, default=0)


# The refresh finds changed dose records by updated_at, changed registrations and people by theirs
# and new bookings by created_at: indexes on other domains' tables, declared here (no column added; the
# first in migration 0003, the others in 0004).
sa.Index("ix_dose_record_updated_at", DoseRecord.updated_at)
sa.Index("ix_registration_updated_at", Registration.updated_at)
sa.Index("ix_person_updated_at", Person.updated_at)  # people who moved or changed their birth date
sa.Index("ix_booking_created_at", Booking.created_at)
# The dashboard counts each shown session's bookings by status from this index alone.
sa.Index("ix_booking_session_status", Booking.session_id, Booking.status)
