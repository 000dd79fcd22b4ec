"""Statistics at volume (by hand, not CI): public figures and dashboard p99, full build and refresh time.

    .venv/bin/python infra/bench/bench_stats.py [--doses 10000000] [--new 100000] [--requests 300]
        [--days 300] [--sites-per-province 3] [--keep]
        [--server postgresql://postgres@127.0.0.1:54329/postgres]   (infra/testdb.sh start)

1. creates a database of its own on the server (dropped at the end unless --keep), the schema
   (create_all), the demo catalogue and units, a province department, a health centre and
   `--sites-per-province` sites in each of the 34 provinces, one lot per province and product;
2. generates, with generate_series in SQL (no row-by-row inserts), about `--doses` dose records:
   first doses spread over the `--days` days up to yesterday, the second 28 days later when that
   day has passed (3 products; the second dose of every 33rd person voided; a confirmed booking
   when it is due this week), people at their site's province,
   each record written when it was given (created_at/updated_at a minute after the dose), and the
   operations around them in proportion: one registration per person (submitted → approved →
   allocated, three events, a week before the first dose), a session per site, day and product with
   one slot, a booking per dose (attended; missed for the voided doses), an `administer` stock
   movement per counted dose;
3. runs the first refresh_stats (the full build of every aggregate) and times it;
4. measures GET /api/v1/public/stats (90 days and a year, full answer, no ETag; computed each
   time, then as served: each process keeps its answer until the next refresh) and GET
   /api/v1/stats/dashboard (national, a province's department, a site; 30 days) through the Flask
   test client: p50/p99;
5. adds `--new` dose records (new people, written now, with their registrations, bookings and
   stock movements) and times the incremental refresh that brings the aggregates up to date, then
   refreshes with nothing new 5, 20 and 35 minutes later (the first two read the batch again: it
   is within the 10-minute overlap of their previous run; the third is the steady cost).
The stock balances are not reconciled with the generated ledger (the dashboard reads both).
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from api.app import create_app  # noqa: E402
from api.auth import service as auth  # noqa: E402
from api.auth.guard import CSRF_COOKIE, SESSION_COOKIE  # noqa: E402
from api.catalog import service as catalog  # noqa: E402
from api.catalog.models import OrgUnit  # noqa: E402
from api.config import Settings  # noqa: E402
from api.db import db  # noqa: E402
from api.places import service as places  # noqa: E402
from api.stats import service as stats_service  # noqa: E402
from api.stats.service import refresh_stats  # noqa: E402

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)  # 10:00 in Hà Nội
TODAY = "2026-11-23"
PRODUCTS = ("pfizer-biontech", "astrazeneca", "moderna")
TABLES = ("person", "dose_record", "registration", "registration_event", "vaccination_session", "slot", "booking",
          "stock_movement")


STEPS: list[tuple[str, float]] = []  # (statement, seconds) of the generator, for --verbose


def run(conn, sql: str, params: dict | None = None):
    t = time.perf_counter()
    out = conn.exec_driver_sql(sql, params) if params is not None else conn.exec_driver_sql(sql)
    STEPS.append((" ".join(sql.split())[:60], time.perf_counter() - t))
    return out


def setup_units(session, per_province: int) -> list[tuple[str, int]]:
    """A department, a health centre and sites in every province (the demo's units are kept)."""
    have = {u.code for u in session.scalars(sa.select(OrgUnit))}
    for p in places.provinces():
        code = f"P{p['code']:02d}"
        if code not in have:
            catalog.add_unit(session, code=code, name=f"Sở Y tế {p['name']}", kind="province", parent_code="VN",
                             province_code=p["code"], now=NOW)
            catalog.add_unit(session, code=f"{code}-TTYT", name=f"Trung tâm Y tế {p['name']}", kind="health_centre",
                             parent_code=code, now=NOW)
        sites = session.scalar(sa.select(sa.func.count()).select_from(OrgUnit).where(
            OrgUnit.kind == "site", OrgUnit.province_code == p["code"]))
        for k in range(sites, per_province):
            catalog.add_unit(session, code=f"B{p['code']:02d}-{k}", name=f"Điểm tiêm {k + 1}, {p['name']}",
                             kind="site", parent_code=f"{code}-TTYT", now=NOW)
    return [(u.id, u.province_code) for u in session.scalars(
        sa.select(OrgUnit).where(OrgUnit.kind == "site").order_by(OrgUnit.code))]


def setup_stock_and_sessions(conn, sites: list[tuple[str, int]], days: int) -> None:
    """A lot per province and product with stock at each site; a session (one slot) per site, day and product."""
    run(conn, """
        INSERT INTO lot (id, product_code, lot_number, expires_on, manufacturer, received_doses, quarantine_reason,
                         created_at)
        SELECT md5('lot' || p.code || pr)::uuid::text, pr, 'BENCH-' || p.code || '-' || pr, %(today)s::date + 200,
               'Bench', 0, '', %(at)s
        FROM (SELECT DISTINCT province_code AS code FROM org_unit WHERE kind = 'site') p,
             unnest(%(products)s::text[]) pr""", {"today": TODAY, "at": NOW, "products": list(PRODUCTS)})
    run(conn, """
        INSERT INTO stock_balance (unit_id, lot_id, balance, updated_at)
        SELECT u.id, md5('lot' || u.province_code || pr)::uuid::text, 5000, %(at)s
        FROM org_unit u, unnest(%(products)s::text[]) pr WHERE u.kind = 'site'""",
                         {"at": NOW, "products": list(PRODUCTS)})
    run(conn, """
        INSERT INTO stock_movement (id, at, unit_id, lot_id, kind, quantity, reason)
        SELECT gen_random_uuid()::text, %(at)s, unit_id, lot_id, 'receive', balance, 'bench' FROM stock_balance""",
                         {"at": NOW - timedelta(days=days + 40)})
    run(conn, """
        INSERT INTO vaccination_session (id, site_id, product_id, day, starts_at, ends_at, capacity, status, note,
                                         created_at)
        SELECT md5('vs' || u.id || d::date || p.code)::uuid::text, u.id, p.id, d::date,
               (d::date + time '07:30') AT TIME ZONE 'Asia/Ho_Chi_Minh',
               (d::date + time '16:30') AT TIME ZONE 'Asia/Ho_Chi_Minh', 3000, 'open', 'bench', %(at)s
        FROM org_unit u, vaccine_product p,
             generate_series(%(today)s::date - %(back)s, %(today)s::date + 7, interval '1 day') d
        WHERE u.kind = 'site' AND p.code = ANY(%(products)s)""",
                         {"at": NOW, "today": TODAY, "back": days + 40, "products": list(PRODUCTS)})
    run(conn, """
        INSERT INTO slot (id, session_id, starts_at, ends_at, capacity, booked)
        SELECT md5('sl' || id)::uuid::text, id, starts_at, ends_at, capacity, 0 FROM vaccination_session""")


def generate(conn, doses: int, *, offset: int, days: int, sites: list[tuple[str, int]],
             recorded: datetime | None) -> int:
    """About `doses` dose records for new people, and their registrations, bookings and movements;
    returns the number of people.

    recorded None: each record written when it happened (a minute after the dose); else all at
    `recorded` (a batch arriving now)."""
    # first doses every day up to yesterday; a second dose 28 days later when that day has passed
    people = round(doses / (2 - 28 / days))
    ids = "ARRAY[" + ",".join(f"'{s}'" for s, _ in sites) + "]"
    provs = "ARRAY[" + ",".join(str(p) for _, p in sites) + "]"
    p = {"lo": offset, "hi": offset + people - 1, "today": TODAY, "days": days, "rec": recorded,
         "products": list(PRODUCTS)}
    run(conn, "DROP TABLE IF EXISTS gen")
    run(conn, f"""
        CREATE TEMP TABLE gen AS
        SELECT g, 'b' || lpad(g::text, 35, '0') AS person_id, s.site_id, s.province_code,
               (%(products)s::text[])[1 + (g / 7) %% 3] AS product,
               %(today)s::date - 1 - abs(hashint4((g + 1)::int4)) %% %(days)s AS d1
        FROM generate_series(%(lo)s::int, %(hi)s::int) g,
             LATERAL (SELECT ({ids})[k] AS site_id, ({provs})[k] AS province_code
                      FROM (SELECT 1 + abs(hashint4(g::int4)) %% {len(sites)} AS k) x) s""", p)
    run(conn, """
        INSERT INTO person (id, full_name, date_of_birth, sex, province_code, address_line, created_at, updated_at,
                            version)
        SELECT person_id, 'Bench ' || g, date '1950-01-01' + (g %% 20000), 'M', province_code, '',
               coalesce(%(rec)s, (d1 - 7 + time '10:00') AT TIME ZONE 'Asia/Ho_Chi_Minh'),
               coalesce(%(rec)s, (d1 - 7 + time '10:00') AT TIME ZONE 'Asia/Ho_Chi_Minh'), 1
        FROM gen""", p)
    run(conn, """
        CREATE TEMP TABLE gen_dose AS
        SELECT g, person_id, site_id, province_code, product, n, d1 + 28 * (n - 1) AS day,
               md5('dose' || g || '-' || n)::uuid::text AS id,
               (d1 + 28 * (n - 1) + time '08:00' + (g %% 480) * interval '1 minute') AT TIME ZONE 'Asia/Ho_Chi_Minh'
                   AS at,
               CASE WHEN g %% 33 = 0 AND n = 2 THEN 'voided' ELSE 'valid' END AS status
        FROM gen, (VALUES (1), (2)) v(n) WHERE d1 + 28 * (n - 1) < %(today)s::date""", p)
    run(conn, """
        INSERT INTO dose_record (id, person_id, disease, product_code, lot_id, lot_number, dose_number, series,
            administered_at, administered_on, unit_id, site_name, province_code, recorded_by, status, source,
            void_reason, note, created_at, updated_at, version)
        SELECT id, person_id, '840539006', product, md5('lot' || province_code || product)::uuid::text,
               'BENCH-' || province_code || '-' || product, n, 'primary', at, day, site_id, 'Bench site',
               province_code, 'bench', status, 'site', '', '', coalesce(%(rec)s, at + interval '1 minute'),
               coalesce(%(rec)s, at + interval '1 minute'), 1
        FROM gen_dose""", p)
    # registrations a week before the first dose: submitted, approved a day later, allocated the next
    run(conn, """
        CREATE TEMP TABLE gen_reg AS
        SELECT g, person_id, site_id, province_code, md5('reg' || g)::uuid::text AS id,
               (d1 - 7 + time '10:00') AT TIME ZONE 'Asia/Ho_Chi_Minh' AS at FROM gen""")
    # every 20th is approved and never allocated (booked in the province); every 50th had cancelled
    # an earlier registration a fortnight before
    run(conn, """
        INSERT INTO registration (id, person_id, disease, priority_group, preferred_province_code, note, status,
                                  status_reason, allocated_unit_id, created_by, created_at, updated_at)
        SELECT id, person_id, '840539006', 'general', province_code, '',
               CASE WHEN g %% 20 = 0 THEN 'approved' ELSE 'allocated' END, '',
               CASE WHEN g %% 20 = 0 THEN NULL ELSE site_id END, 'bench', at,
               coalesce(%(rec)s, at + interval '2 days') FROM gen_reg
        UNION ALL
        SELECT md5('reg0' || g)::uuid::text, person_id, '840539006', 'general', province_code, '', 'cancelled', '',
               NULL, 'bench', at - interval '14 days', coalesce(%(rec)s, at - interval '13 days')
        FROM gen_reg WHERE g %% 50 = 1""", p)
    run(conn, """
        INSERT INTO registration_event (registration_id, status, reason, unit_id, at)
        SELECT id, e.status, '', CASE WHEN e.status = 'allocated' THEN site_id END, at + e.after
        FROM gen_reg, (VALUES ('submitted', interval '0'), ('approved', interval '1 day'),
                              ('allocated', interval '2 days')) e(status, after)
        WHERE e.status <> 'allocated' OR g %% 20 <> 0
        UNION ALL
        SELECT md5('reg0' || g)::uuid::text, e.status, '', NULL, at + e.after
        FROM gen_reg, (VALUES ('submitted', interval '-14 days'), ('cancelled', interval '-13 days')) e(status, after)
        WHERE g %% 50 = 1""", p)
    # a booking per dose, made three days ahead: attended, or missed (the voided second doses)
    run(conn, """
        INSERT INTO booking (id, person_id, slot_id, session_id, disease, dose_number, dose, status, starts_at,
                             ends_at, booked_by, created_at, updated_at, ended_at, end_reason)
        SELECT md5('bk' || d.id)::uuid::text, d.person_id, md5('sl' || vs.id)::uuid::text, vs.id, '840539006', d.n,
               d.n::text, CASE WHEN d.status = 'valid' THEN 'attended' ELSE 'missed' END, vs.starts_at, vs.ends_at,
               'bench', d.at - interval '3 days', coalesce(%(rec)s, d.at), d.at, ''
        FROM gen_dose d
        JOIN vaccination_session vs ON vs.id = md5('vs' || d.site_id || d.day || d.product)::uuid::text""", p)
    # second doses still to come this week: confirmed bookings, made the day after the first dose
    run(conn, """
        INSERT INTO booking (id, person_id, slot_id, session_id, disease, dose_number, dose, status, starts_at,
                             ends_at, booked_by, created_at, updated_at, end_reason)
        SELECT md5('bk' || x.g || '-2')::uuid::text, x.person_id, md5('sl' || vs.id)::uuid::text, vs.id,
               '840539006', 2, '2', 'confirmed', vs.starts_at, vs.ends_at, 'bench',
               coalesce(%(rec)s, (x.d1 + 1 + time '12:00') AT TIME ZONE 'Asia/Ho_Chi_Minh'),
               coalesce(%(rec)s, (x.d1 + 1 + time '12:00') AT TIME ZONE 'Asia/Ho_Chi_Minh'), ''
        FROM gen x
        JOIN vaccination_session vs ON vs.id = md5('vs' || x.site_id || (x.d1 + 28) || x.product)::uuid::text
        WHERE x.d1 + 28 >= %(today)s::date""", p)
    run(conn, """
        UPDATE slot s SET booked = s.booked + c.n
        FROM (SELECT b.slot_id, count(*) AS n FROM booking b JOIN gen ON b.person_id = gen.person_id
              WHERE b.status IN ('attended', 'confirmed') GROUP BY b.slot_id) c
        WHERE s.id = c.slot_id""")
    run(conn, """
        INSERT INTO stock_movement (id, at, unit_id, lot_id, kind, quantity, reason, dose_record_id)
        SELECT md5('mv' || id)::uuid::text, at, site_id, md5('lot' || province_code || product)::uuid::text,
               'administer', -1, '', id
        FROM gen_dose WHERE status = 'valid'""")
    for t in ("gen_dose", "gen_reg", "gen"):
        run(conn, f"DROP TABLE {t}")
    return people


def drop_indexes(conn, tables) -> list[str]:
    """Drop the tables' secondary indexes (not the keys or unique constraints) for a bulk load;
    returns their definitions. Built afterwards in one pass each, they cost a fraction of
    maintaining them row by row (random UUID keys)."""
    rows = run(conn, """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
        WHERE c.relname = ANY(%(tables)s) AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
        """, {"tables": list(tables)}).all()
    for name, _ in rows:
        run(conn, f"DROP INDEX {name}")
    return [d for _, d in rows]


def timed(client, path: str, n: int, *, cold: bool = False) -> list[float]:
    """Latencies in ms; cold: with the process's kept public answers dropped before each request."""
    out = []
    for _ in range(n):
        if cold:
            stats_service._public_answers.clear()
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


def analyze(engine, tables) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for t in tables:
            conn.exec_driver_sql(f"VACUUM ANALYZE {t}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--doses", type=int, default=10_000_000)
    ap.add_argument("--new", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--days", type=int, default=300, help="days the doses are spread over, up to today")
    ap.add_argument("--sites-per-province", type=int, default=3)
    ap.add_argument("--server", default="postgresql://postgres@127.0.0.1:54329/postgres")
    ap.add_argument("--keep", action="store_true", help="do not drop the database")
    ap.add_argument("--reuse", metavar="DATABASE", help="only time the requests, on a database an earlier --keep run "
                                                       "left (no generation, no new doses; it is kept)")
    ap.add_argument("--verbose", action="store_true", help="time each generator statement and refresh phase")
    args = ap.parse_args()
    if args.verbose:
        import logging

        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("  %(message)s"))
        stats_log = logging.getLogger("api.stats.service")
        stats_log.addHandler(handler)
        stats_log.setLevel(logging.DEBUG)
        stats_log.propagate = False
    name = args.reuse or f"bench_stats_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.server.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    if not args.reuse:
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = args.server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    print(f"database {name} (reused: only the requests are timed)" if args.reuse else
          f"database {name}: {args.doses:,} doses over {args.days} days, {args.sites_per_province} sites per province")
    try:
        app = create_app(Settings(environment="test", instance_path=Path(tempfile.mkdtemp()), database_url=url,
                                  secret_key="bench-" + "x" * 40, demo_data=False))
        app.extensions["ssk_clock"] = lambda: NOW
        with app.app_context():
            if not args.reuse:
                db.create_all()
                from api.demo import seed_demo

                with db.sessions().begin() as s:
                    seed_demo(s, now=NOW)
                    sites = setup_units(s, args.sites_per_province)
                t = time.perf_counter()
                with db.engine.begin() as conn:
                    # a bulk load: no foreign-key checks or triggers (the data is consistent by construction),
                    # secondary indexes built afterwards
                    run(conn, "SET LOCAL session_replication_role = replica")
                    run(conn, "SET LOCAL maintenance_work_mem = '1GB'")
                    indexes = drop_indexes(conn, TABLES)
                    setup_stock_and_sessions(conn, sites, args.days)
                    people = generate(conn, args.doses, offset=0, days=args.days, sites=sites, recorded=None)
                    for ddl in indexes:
                        run(conn, ddl)
                analyze(db.engine, TABLES)
                with db.engine.connect() as conn:
                    sizes = ", ".join(f"{t} {conn.exec_driver_sql(f'SELECT count(*) FROM {t}').scalar():,}" for t in TABLES)
                print(f"generated in {time.perf_counter() - t:.1f} s ({len(sites)} sites): {sizes}")
                if args.verbose:
                    for what, s in STEPS:
                        print(f"  {s:7.1f} s  {what}")
                t = time.perf_counter()
                with db.sessions().begin() as s:
                    n = refresh_stats(s, NOW)
                print(f"first refresh (full build): {n:,} records in {time.perf_counter() - t:.1f} s")
                analyze(db.engine, ("stat_dose_daily", "stat_unit_daily", "stat_person", "stat_due", "stat_coverage",
                                    "stat_dose_seen", "stat_registration", "stat_funnel_daily"))
                with db.engine.connect() as conn:
                    cells = {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar()
                             for t in ("stat_dose_daily", "stat_funnel_daily", "stat_due")}
                print("aggregate cells: " + ", ".join(f"{k} {v:,}" for k, v in cells.items()))

        # As each gunicorn worker does once the app is loaded (infra/gunicorn.conf.py): what exists
        # now lives as long as the process, and a full collection no longer walks it.
        gc.collect()
        gc.freeze()
        public, site_code = app.test_client(), "HN-HK"
        nat = staff_client(app, "national_admin", "VN")
        dept = staff_client(app, "department_staff", "P01")
        site = staff_client(app, "site_staff", site_code)
        timed(public, "/api/v1/public/stats", 10)  # warm-up
        year = "/api/v1/public/stats?from=2025-11-24&to=2026-11-23"
        pub_cold = timed(public, "/api/v1/public/stats", args.requests // 3, cold=True)
        pub_year_cold = timed(public, year, args.requests // 3, cold=True)
        pub = timed(public, "/api/v1/public/stats", args.requests)
        pub_year = timed(public, year, args.requests)
        for c in (nat, dept, site):
            timed(c, "/api/v1/stats/dashboard", 5)
        dn = timed(nat, "/api/v1/stats/dashboard", args.requests)
        dd = timed(dept, "/api/v1/stats/dashboard", args.requests)
        ds = timed(site, "/api/v1/stats/dashboard", args.requests)
        body = nat.get("/api/v1/stats/dashboard").json
        print(f"national dashboard, 30 days: funnel {body['funnel']}, {len(body['sessions'])} sessions, "
              f"{len(body['stock'])} lots, overdue {body['overdue']['total']:,}, doses {body['doses']['total']:,}")
        for label, xs, aim in (("public 90 days, computed each time", pub_cold, 50),
                               ("public 1 year, computed each time", pub_year_cold, 50),
                               ("public /public/stats (90 days)", pub, 50), ("public /public/stats (1 year)", pub_year, 50),
                               ("dashboard national 30 days", dn, 200), ("dashboard province 30 days", dd, 200),
                               ("dashboard site 30 days", ds, 200)):
            print(f"{label:36s} n={len(xs):4d} p50={statistics.median(xs):7.1f} ms  p99={p(xs, .99):7.1f} ms"
                  f"  (aim < {aim} ms)")

        with app.app_context():
            if args.reuse:
                return
            later = NOW + timedelta(minutes=5)
            t = time.perf_counter()
            with db.engine.begin() as conn:
                generate(conn, args.new, offset=people, days=args.days, sites=sites, recorded=later)
            ins = time.perf_counter() - t
            t = time.perf_counter()
            with db.sessions().begin() as s:
                n = refresh_stats(s, later)
            print(f"{args.new:,} new doses (inserted with their operations in {ins:.1f} s): incremental refresh "
                  f"moved {n:,} records in {time.perf_counter() - t:.1f} s")
            # the first two runs still read the batch again (it is within OVERLAP of their previous
            # run's snapshot); the third is the steady cost of the scheduler's job
            for after in (5, 20, 35):
                t = time.perf_counter()
                with db.sessions().begin() as s:
                    n = refresh_stats(s, later + timedelta(minutes=after))
                print(f"refresh {after} min later, nothing new: {n:,} records in {time.perf_counter() - t:.2f} s")
            db.engine.dispose()
    finally:
        if not (args.keep or args.reuse):
            with admin.connect() as c:
                c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
