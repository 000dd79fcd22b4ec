"""Organisation units: a tree of any depth, scoped by materialised path."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.catalog.models import OrgUnit
from api.places import service as places
from api.problems import Conflict, NotFound

KINDS = ("national", "province", "health_centre", "site")


def add_unit(session: so.Session, *, code: str, name: str, kind: str, parent_code: str | None,
             province_code: int | None = None, ward_code: int | None = None, now: datetime,
             **extra) -> OrgUnit:
    """:raises Conflict: the code exists; NotFound: no such parent; ValidationFailed: bad address."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if session.scalar(sa.select(OrgUnit.id).filter_by(code=code)):
        raise Conflict(f"Unit {code} exists.", detail_vi=f"Đơn vị {code} đã tồn tại.")
    parent = None
    if parent_code:
        parent = session.scalar(sa.select(OrgUnit).filter_by(code=parent_code))
        if parent is None:
            raise NotFound(f"No unit {parent_code}.", detail_vi=f"Không có đơn vị {parent_code}.")
        province_code = province_code if province_code is not None else parent.province_code
    places.check_address(province_code, ward_code)
    unit = OrgUnit(code=code, name=name, kind=kind, parent_id=parent.id if parent else None,
                   province_code=province_code, ward_code=ward_code, created_at=now, path="", **extra)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def unit_by_code(session: so.Session, code: str) -> OrgUnit:
    unit = session.scalar(sa.select(OrgUnit).filter_by(code=code))
    if unit is None:
        raise NotFound(f"No unit {code}.", detail_vi=f"Không có đơn vị {code}.")
    return unit


def units_within(session: so.Session, unit_path: str) -> sa.Select:
    """Every unit at or below the one with this path."""
    return sa.select(OrgUnit).where(OrgUnit.path.startswith(unit_path))
