from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.db import Base, UTCDateTime, uuid_pk


class OrgUnit(Base):
    """national → province health department → health centre → site; any depth.

    `path` is the materialised path of ids ('/<root>/<province>/<site>/'): a unit's scope is
    every unit whose path starts with its own, one indexed LIKE instead of a recursive query.
    """

    __tablename__ = "org_unit"
    id: so.Mapped[str] = uuid_pk()
    parent_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("org_unit.id"), index=True)
    path: so.Mapped[str] = so.mapped_column(sa.String(400), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))  # national|province|health_centre|site
    code: so.Mapped[str] = so.mapped_column(sa.String(32), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(160))
    province_code: so.Mapped[int | None] = so.mapped_column(sa.Integer, index=True)
    ward_code: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    address_line: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    latitude: so.Mapped[float | None] = so.mapped_column(sa.Float)
    longitude: so.Mapped[float | None] = so.mapped_column(sa.Float)
    opening_hours: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    daily_capacity: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class VaccineProduct(Base):
    """A vaccine as the catalogue knows it, with the codes the passports need.

    `eu_mp`/`eu_ma`/`eu_vp` are the EU DCC value-set codes (medicinal product, marketing
    authorisation holder, vaccine type), `cvx` the CDC code SMART Health Cards carry,
    `target_disease` the SNOMED CT code of the disease (840539006 = COVID-19).
    """

    __tablename__ = "vaccine_product"
    id: so.Mapped[str] = uuid_pk()
    code: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    name_vi: so.Mapped[str] = so.mapped_column(sa.String(120))
    name_en: so.Mapped[str] = so.mapped_column(sa.String(120))
    target_disease: so.Mapped[str] = so.mapped_column(sa.String(20))
    eu_mp: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    eu_ma: so.Mapped[str | None] = so.mapped_column(sa.String(60))
    eu_vp: so.Mapped[str | None] = so.mapped_column(sa.String(30))
    cvx: so.Mapped[str | None] = so.mapped_column(sa.String(8))
    doses_in_primary_series: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    active: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class DoseRule(Base):
    """One version of the policy for one dose of one product in one jurisdiction.

    Versioned policy data: a change is a new row from its effective date and the version it
    replaces gets `effective_to` (exclusive), so history reads as it was. `jurisdiction` is
    'national', 'province:<code>' or 'unit:<org unit id>' (that unit and everything below it).
    """

    __tablename__ = "dose_rule"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "dose", "jurisdiction", "effective_from"),
        sa.CheckConstraint("effective_to IS NULL OR effective_to > effective_from", name="dates"),
    )
    id: so.Mapped[str] = uuid_pk()
    product_id: so.Mapped[str] = so.mapped_column(sa.ForeignKey("vaccine_product.id"), index=True)
    dose: so.Mapped[str] = so.mapped_column(sa.String(8))  # "1", "2", … | "booster"
    jurisdiction: so.Mapped[str] = so.mapped_column(sa.String(48))
    province_code: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    unit_id: so.Mapped[str | None] = so.mapped_column(sa.ForeignKey("org_unit.id"))
    effective_from: so.Mapped[date] = so.mapped_column(sa.Date)
    effective_to: so.Mapped[date | None] = so.mapped_column(sa.Date)
    min_interval_days: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    recommended_interval_days: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    max_interval_days: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    min_age_days: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    max_age_days: so.Mapped[int | None] = so.mapped_column(sa.Integer)
    # product codes the previous dose may have been; NULL = the same product only
    allowed_previous: so.Mapped[list | None] = so.mapped_column(sa.JSON)
    source: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    created_by: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)
