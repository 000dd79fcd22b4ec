"""The public statistics page in Chromium: figures, then offline with the last figures seen."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.conftest import ROOT, _env, serve

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own: the demo units and the 400 people with doses seeded here would collide
    with the units other e2e files add and change the people they count."""
    yield from serve(tmp_path_factory.mktemp("stats-instance"))


# Seed the demo units and catalogue and some doses, and refresh the aggregates, all in the server's
# own database (its schema from the migrations).
SEED = r"""
import random
from datetime import date, datetime, time, timedelta, timezone
import sqlalchemy as sa
from api.app import create_app
from api.db import Base, db, new_id
from api.demo import seed_demo
from api.catalog.models import OrgUnit
from api.people.models import Person
from api.vaccination.models import DoseRecord
from api.vaccination.stock import LOCAL
from api.stats.service import refresh_stats
import api.models  # noqa
app = create_app()
now = datetime.now(timezone.utc)
with app.app_context():
    with db.sessions().begin() as s:
        seed_demo(s, now=now)
    rng = random.Random(8)
    today = now.astimezone(LOCAL).date()
    with db.sessions().begin() as s:
        sites = s.scalars(sa.select(OrgUnit).where(OrgUnit.kind == "site")).all()
        for i in range(400):
            site = rng.choice(sites)
            p = Person(full_name=f"P{i}", date_of_birth=date(1970 + i % 40, 1, 1), sex="M",
                       province_code=site.province_code, ward_code=None, national_id=None, phone=None,
                       address_line="", created_at=now, updated_at=now)
            s.add(p)
            s.flush()
            day = today - timedelta(days=rng.randrange(30, 80))
            for n in range(1, rng.randrange(1, 4) + 1):
                s.add(DoseRecord(id=new_id(), person_id=p.id, disease="840539006", product_code="pfizer-biontech",
                                 lot_number="E2E", dose_number=n, series="booster" if n == 3 else "primary",
                                 administered_at=datetime.combine(day, time(9), tzinfo=LOCAL), administered_on=day,
                                 unit_id=site.id, site_name=site.name, province_code=site.province_code,
                                 recorded_by="e2e", status="valid", source="site", created_at=now, updated_at=now,
                                 version=1))
                day += timedelta(days=rng.randrange(3, 28))
    with db.sessions().begin() as s:
        print(refresh_stats(s, now))
"""


def _seed(server) -> None:
    out = subprocess.run([sys.executable, "-c", SEED], cwd=ROOT, env=_env(server.instance, server.port),
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]


def test_the_public_statistics_page_shows_figures_and_works_offline(new_context, server, shots):
    _seed(server)
    context = new_context()  # 360 px wide (PHONE_WIDTH)
    page = context.new_page()
    page.goto("/#/stats")
    page.get_by_role("heading", name="Số liệu tiêm chủng").wait_for()
    table = page.get_by_test_id("stats-coverage")
    table.wait_for()
    hanoi = table.get_by_role("row").filter(has_text="Hà Nội").inner_text()
    total = page.get_by_test_id("stats-total").inner_text()
    assert "Cập nhật lúc" in page.get_by_test_id("stats-updated").inner_text()
    assert page.locator("svg rect").count() > 10
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.reload()  # now controlled: the worker puts /api/v1/public/stats in its cache
    table.wait_for()
    page.wait_for_function("caches.open('ssk-public-v1').then(c => c.keys()).then(k => k.length > 0)")
    shots(page, "80-public-stats")

    context.set_offline(True)
    page.evaluate("localStorage.removeItem('ssk.public-stats')")  # prove the worker's cache serves it
    response = page.reload()
    assert response.from_service_worker
    page.get_by_test_id("stats-coverage").wait_for()
    page.get_by_text("Bạn đang ngoại tuyến").first.wait_for()
    assert page.get_by_test_id("stats-coverage").get_by_role("row").filter(has_text="Hà Nội").inner_text() == hanoi
    assert page.get_by_test_id("stats-total").inner_text() == total
    shots(page, "81-public-stats-offline", both=False)
    context.set_offline(False)
