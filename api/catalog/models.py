from __future__ import annotations

from datetime import datetime

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
