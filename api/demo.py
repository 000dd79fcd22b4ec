"""Demo data: a national unit, a few provinces with a health centre and sites each."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.catalog import service as catalog
from api.catalog.models import OrgUnit

# (province code, department name, [(site code, site name, ward code, lat, lon)])
PROVINCES = [
    (1, "Sở Y tế Hà Nội", [("HN-HK", "Trạm Y tế phường Hoàn Kiếm", 70, 21.0288, 105.8525),
                           ("HN-BD", "Bệnh viện Đa khoa Ba Đình", 4, 21.0368, 105.8342)]),
    (79, "Sở Y tế TP. Hồ Chí Minh", [("HCM-SG", "Trạm Y tế phường Sài Gòn", 26740, 10.7769, 106.7009),
                                     ("HCM-BT", "Phòng khám Bình Thạnh", 26929, 10.8106, 106.7091)]),
    (48, "Sở Y tế Đà Nẵng", [("DN-HC", "Trạm Y tế phường Hải Châu", 20242, 16.0471, 108.2068)]),
]


def seed_demo(session: so.Session, *, now: datetime) -> str:
    if session.scalar(sa.select(OrgUnit.id).filter_by(code="VN")):
        return "demo data already there"
    catalog.add_unit(session, code="VN", name="Bộ Y tế", kind="national", parent_code=None, now=now)
    made = 1
    for province, dept, sites in PROVINCES:
        code = f"P{province:02d}"
        catalog.add_unit(session, code=code, name=dept, kind="province", parent_code="VN",
                         province_code=province, now=now)
        catalog.add_unit(session, code=f"{code}-TTYT", name=f"Trung tâm Y tế ({dept[9:]})",
                         kind="health_centre", parent_code=code, now=now)
        made += 2
        for site_code, name, ward, lat, lon in sites:
            catalog.add_unit(session, code=site_code, name=name, kind="site", parent_code=f"{code}-TTYT",
                             ward_code=ward, latitude=lat, longitude=lon, opening_hours="07:30-16:30",
                             daily_capacity=300, now=now)
            made += 1
    return f"seeded {made} organisation units"
