"""One suite, two engines: every API test runs on SQLite and on PostgreSQL."""
from __future__ import annotations

import re
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.app import create_app
from api.clock import FixedClock
from api.config import Settings
from api.db import db
from tests.conftest import FIXED_NOW


def _settings(url: str, instance: Path) -> Settings:
    return Settings(environment="test", instance_path=instance, database_url=url,
                    secret_key="test-secret-" + "x" * 32, demo_data=False)


def _build_schema_and_seed(url: str, instance: Path) -> None:
    """The schema and the demo data, made once per test session and copied for each test."""
    template = create_app(_settings(url, instance))
    with template.app_context():
        db.create_all()
        from api.demo import seed_demo

        with db.sessions().begin() as session:
            seed_demo(session, now=FIXED_NOW)
        db.engine.dispose()
    if url.startswith("sqlite"):  # fold the WAL into the file before it is copied
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sqlite-template")
    _build_schema_and_seed(f"sqlite:///{folder / 'template.sqlite3'}", folder / "instance")
    return folder / "template.sqlite3"


@pytest.fixture(scope="session")
def postgresql_template(postgresql_server, tmp_path_factory) -> str:
    name = f"tpl_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgresql_server.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    base = postgresql_server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    _build_schema_and_seed(f"{base}/{name}", tmp_path_factory.mktemp("pg-template"))
    yield name
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def seeded_postgresql_url(postgresql_server, postgresql_template) -> str:
    """A copy of the seeded template database for one test (CREATE DATABASE … TEMPLATE)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgresql_server.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{postgresql_template}"')
    base = postgresql_server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def app(request, tmp_path):
    """The app on a fresh copy of a seeded database (schema made by create_all; the migrations
    are checked against the same models in test_migrations.py)."""
    if request.param == "sqlite":
        target = tmp_path / "ssk.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        url = f"sqlite:///{target}"
    else:
        url = request.getfixturevalue("seeded_postgresql_url")
    app = create_app(_settings(url, tmp_path / "instance"))
    app.extensions["ssk_clock"] = FixedClock(FIXED_NOW)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def clock(app) -> FixedClock:
    return app.extensions["ssk_clock"]


class ApiClient:
    """The Flask test client with what the PWA does: Accept-Language, CSRF header, JSON."""

    def __init__(self, app, lang="en"):
        self.app = app
        self.http = app.test_client()
        self.lang = lang
        self.csrf = None
        self.me = None

    def _headers(self, extra):
        h = {"Accept-Language": self.lang}
        if self.csrf:
            h["X-CSRF-Token"] = self.csrf
        h.update(extra or {})
        return h

    def get(self, path, headers=None, **kw):
        return self.http.get(f"/api/v1{path}", headers=self._headers(headers), **kw)

    def post(self, path, json=None, headers=None, **kw):
        return self.http.post(f"/api/v1{path}", json=json, headers=self._headers(headers), **kw)

    def put(self, path, json=None, headers=None, **kw):
        return self.http.put(f"/api/v1{path}", json=json, headers=self._headers(headers), **kw)

    def patch(self, path, json=None, headers=None, **kw):
        return self.http.patch(f"/api/v1{path}", json=json, headers=self._headers(headers), **kw)

    def delete(self, path, headers=None, **kw):
        return self.http.delete(f"/api/v1{path}", headers=self._headers(headers), **kw)

    def last_code(self, phone_e164: str) -> str:
        """The code the console SMS provider wrote to instance/outbox-sms.log."""
        log = Path(self.app.instance_path) / "outbox-sms.log"
        codes = [re.search(r"(\d{6})", line.split("\t", 2)[2]).group(1)
                 for line in log.read_text().splitlines() if line.split("\t")[1] == phone_e164]
        return codes[-1]

    def sign_in(self, phone: str):
        r = self.post("/auth/otp", {"phone": phone})
        assert r.status_code == 202, r.json
        body = r.json
        r = self.post("/auth/otp/verify", {"challenge_id": body["challenge_id"],
                                           "code": self.last_code(body["phone"])})
        assert r.status_code == 200, r.json
        self.me = r.json
        self.csrf = r.json["csrf_token"]
        return r.json


def profile(**overrides) -> dict:
    base = {"full_name": "Nguyễn Văn An", "date_of_birth": "1990-05-17", "sex": "M",
            "national_id": "001090012345", "address": {"province_code": 1, "ward_code": 70, "line": "1 Tràng Tiền"}}
    base.update(overrides)
    return base


def unique_phone() -> str:
    return "09" + f"{uuid.uuid4().int % 10**8:08d}"


@pytest.fixture
def client(app) -> ApiClient:
    return ApiClient(app)


@pytest.fixture
def citizen(app) -> ApiClient:
    """A signed-in citizen with a profile (Hà Nội)."""
    c = ApiClient(app)
    c.sign_in("0912345678")
    r = c.put("/people/me", profile())
    assert r.status_code == 200, r.json
    c.person = r.json
    return c


@pytest.fixture
def other_citizen(app) -> ApiClient:
    c = ApiClient(app)
    c.sign_in("0987654321")
    r = c.put("/people/me", profile(full_name="Trần Thị Bình", sex="F", date_of_birth="1985-02-03",
                                    national_id="079185001234",
                                    address={"province_code": 79, "ward_code": 26740, "line": ""}))
    assert r.status_code == 200, r.json
    c.person = r.json
    return c
