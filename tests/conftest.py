"""Shared fixtures: a real PostgreSQL (started by infra/testdb.sh) and fixed clocks."""
from __future__ import annotations

import os
import subprocess
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
# The shared test material (official vectors) sits beside the checkout: ../shared
SHARED = Path(os.environ.get("SSK_SHARED") or (ROOT.parent / "shared"))
VECTORS = SHARED / "vectors"
FIXED_NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)  # 10:00 in Hà Nội


@pytest.fixture(scope="session")
def postgresql_server() -> str:
    """URL of the test cluster's maintenance database; a failure in CI, a skip elsewhere."""
    url = os.environ.get("SSK_TEST_POSTGRES_URL")
    if not url:
        try:
            url = subprocess.run([str(ROOT / "infra/testdb.sh"), "start"], check=True,
                                 capture_output=True, text=True).stdout.strip()
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            if os.environ.get("CI"):
                raise
            pytest.skip(f"no PostgreSQL here: {getattr(exc, 'stderr', exc)}")
    return url


@pytest.fixture
def postgresql_url(postgresql_server) -> str:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgresql_server.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    base = postgresql_server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()
