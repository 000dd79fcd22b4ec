from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.db import Base, UTCDateTime, uuid_pk


class AuditEvent(Base):
    __tablename__ = "audit_event"
    id: so.Mapped[str] = uuid_pk()
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, index=True)
    actor_account_id: so.Mapped[str | None] = so.mapped_column(sa.String(36), index=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(48))
    person_id: so.Mapped[str | None] = so.mapped_column(sa.String(36), index=True)
    unit_id: so.Mapped[str | None] = so.mapped_column(sa.String(36))
    reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    request_id: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    details: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
