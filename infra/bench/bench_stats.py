"""Statistics at volume (by hand, not CI): public figures and dashboard p99, refresh time.

    .venv/bin/python infra/bench/bench_stats.py [--doses 10000000] [--new 100000] [--requests 300]
        [--server postgresql://postgres@127.0.0.1:54329/postgres]   (infra/testdb.sh start)

1. creates a database of its own on the server (dropped at the end), the schema (create_all) and
   the demo catalogue;
2. generates `--doses` dose records (about 2 per person, 34 provinces, 3 products, a year of days,
   3% voided) and their people with generate_series in SQL;
3. runs the first refresh_stats (the full build of the aggregates) and times it;
4. measures GET /api/v1/public/stats (full answer, no ETag) and GET /api/v1/stats/dashboard (a
   national admin and a province department, 30 days) through the Flask test client: p50/p99;
5. adds `--new` dose records and times the incremental refresh that brings the aggregates up to date.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from api.app import create_app  # noqa: E402
from api.auth import service as auth  # noqa: E402
from api.auth.guard import CSRF_COOKIE, SESSION_COOKIE  # noqa: E402
from api.catalog.models import OrgUnit  # noqa: E402
from api.config import Settings  # noqa: E402
from api.db import db  # noqa: E402
from api.places import service as places  # noqa: E402
from api.stats.service import refresh_stats  # noqa: E402

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)


def generate(conn, doses: int, *, offset: int, at: datetime, sites: list[tuple[str, int]]) -> None:
    """`doses` dose records for doses//2 new people (dose 1 and 2 of a primary series)."""
    people = doses // 2
    codes = ",".join(str(p["code"]) for p in places.provinces())
    site_ids = ",".join(f"'{s}'" for s, _ in sites)
    conn.exec_driver_sql(f"""
        INSERT INTO person (id, full_name, date_of_birth, sex, province_code, address_line, created_at,
                            updated_at, version)
        SELECT 'b' || lpad(g::text, 35, '0'), 'Bench ' || g, date '1950-01-01' + (g %% 20000), 'M',
               (ARRAY[{codes}])[1 + g %% 34], '', %(at)s, %(at)s, 1
        FROM generate_series({offset}, {offset + people - 1}) g""", {"at": at})
    conn.exec_driver_sql(f"""
        INSERT INTO dose_record (id, person_id, disease, product_code, lot_number, dose_number, series,
            administered_at, administered_on, unit_id, site_name, province_code, recorded_by, status, source,
            void_reason, note, created_at, updated_at, version)
        SELECT gen_random_uuid()::text, 'b' || lpad(g::text, 35, '0'), '840539006',
               (ARRAY['pfizer-biontech','astrazeneca','moderna'])[1 + g %% 3], 'B' || (g %% 500), n, 'primary',
               d::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh' + interval '9 hours', d,
               (ARRAY[{site_ids}])[1 + g %% {len(sites)}], 'Bench site', (ARRAY[{codes}])[1 + g %% 34],
               'bench', CASE WHEN g %% 33 = 0 AND n = 2 THEN 'voided' ELSE 'valid' END, 'site', '', '',
               %(at)s, %(at)s, 1
        FROM generate_series({offset}, {offset + people - 1}) g,
             LATERAL (VALUES (1, date '2025-11-24' + (g %% 300)), (2, date '2025-11-24' + (g %% 300) + 28)) v(n, d)
    """, {"at": at})


def timed(client, path: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(path)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (path, r.status_code, r.get_data(as_text=True)[:300])
    return out


def p(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def staff_client(app, role: str, unit_code: str):
    with app.app_context(), db.sessions().begin() as s:
        account, _ = auth.account_for_phone(s, f"+8491{uuid.uuid4().int % 10**7:07d}", now=NOW)
        uid = s.scalar(sa.select(OrgUnit.id).filter_by(code=unit_code))
        auth.assign_role(s, account_id=account.id, role=role, unit_id=uid, now=NOW)
        token, row = auth.open_session(s, account_id=account.id, via="passkey", user_agent="bench", now=NOW, days=1)
    c = app.test_client()
    c.set_cookie(SESSION_COOKIE, token)
    c.set_cookie(CSRF_COOKIE, row.csrf_token)
    return c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--doses", type=int, default=10_000_000)
    ap.add_argument("--new", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--server", default="postgresql://postgres@127.0.0.1:54329/postgres")
    ap.add_argument("--keep", action="store_true", help="do not drop the database")
    args = ap.parse_args()
    name = f"bench_stats_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.server.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = args.server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    try:
        import tempfile

        app = create_app(Settings(environment="test", instance_path=Path(tempfile.mkdtemp()), database_url=url,
                                  secret_key="bench-" + "x" * 40, demo_data=False))
        app.extensions["ssk_clock"] = lambda: NOW
        with app.app_context():
            db.create_all()
            from api.demo import seed_demo

            with db.sessions().begin() as s:
                seed_demo(s, now=NOW)
                sites = [(u.id, u.province_code) for u in s.scalars(sa.select(OrgUnit).filter_by(kind="site"))]
            t = time.perf_counter()
            with db.engine.begin() as conn:
                generate(conn, args.doses, offset=0, at=NOW - timedelta(days=1), sites=sites)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE dose_record")
                conn.exec_driver_sql("VACUUM ANALYZE person")
            gen = time.perf_counter() - t
            print(f"generated {args.doses:,} dose records in {gen:.1f} s")
            t = time.perf_counter()
            with db.sessions().begin() as s:
                n = refresh_stats(s, NOW)
            print(f"first refresh (full build): {n:,} records in {time.perf_counter() - t:.1f} s")
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for tbl in ("stat_dose_daily", "stat_person", "stat_coverage", "stat_dose_seen", "stat_unit_daily"):
                    conn.exec_driver_sql(f"VACUUM ANALYZE {tbl}")
                cells = conn.exec_driver_sql("SELECT count(*) FROM stat_dose_daily").scalar()
            print(f"stat_dose_daily cells: {cells:,}")

        public = app.test_client()
        nat = staff_client(app, "national_admin", "VN")
        dept = staff_client(app, "department_staff", "P01")
        timed(public, "/api/v1/public/stats", 10)  # warm-up
        pub = timed(public, "/api/v1/public/stats", args.requests)
        pub_year = timed(public, "/api/v1/public/stats?from=2025-11-24&to=2026-11-23", args.requests // 3)
        timed(nat, "/api/v1/stats/dashboard", 5)
        dn = timed(nat, "/api/v1/stats/dashboard", args.requests // 3)
        dd = timed(dept, "/api/v1/stats/dashboard", args.requests // 3)
        for label, xs, aim in (("public /public/stats (90 days)", pub, 50), ("public /public/stats (1 year)", pub_year, 50),
                               ("dashboard national 30 days", dn, 200), ("dashboard province 30 days", dd, 200)):
            print(f"{label:34s} n={len(xs):4d} p50={statistics.median(xs):7.1f} ms  p99={p(xs, .99):7.1f} ms"
                  f"  (aim < {aim} ms)")

        with app.app_context():
            later = NOW + timedelta(minutes=5)
            t = time.perf_counter()
            with db.engine.begin() as conn:
                generate(conn, args.new, offset=args.doses, at=later, sites=sites)
            ins = time.perf_counter() - t
            t = time.perf_counter()
            with db.sessions().begin() as s:
                n = refresh_stats(s, later)
            print(f"{args.new:,} new doses (inserted in {ins:.1f} s): incremental refresh moved {n:,} records "
                  f"in {time.perf_counter() - t:.1f} s")
            db.engine.dispose()
    finally:
        if not args.keep:
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
