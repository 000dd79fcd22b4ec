"""Append-only audit events, written in the same transaction as the read or change they record."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.audit.models import AuditEvent


def record(session: so.Session, *, actor: str | None, action: str, now: datetime,
           person_id: str | None = None, unit_id: str | None = None, reason: str = "",
           request_id: str = "", **details) -> None:
    session.add(AuditEvent(at=now, actor_account_id=actor, action=action, person_id=person_id,
                           unit_id=unit_id, reason=reason, request_id=request_id, details=details))


def events_for_person(session: so.Session, person_id: str, limit: int = 200) -> list[AuditEvent]:
    return list(session.scalars(sa.select(AuditEvent).where(AuditEvent.person_id == person_id)
                                .order_by(AuditEvent.at.desc()).limit(limit)))
