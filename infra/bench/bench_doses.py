"""Dose records per second through the real API against the raw SQL rate, in one run (by hand, not CI).

    .venv/bin/python infra/bench/bench_doses.py [--seconds 15] [--clients 64] [--sites 64] [--workers 5]

What it does, all on this machine:
1. starts its own PostgreSQL cluster (a temporary directory; fsync and synchronous_commit ON, the
   durable setting, unlike the test cluster), creates the schema and the demo catalogue;
2. prepares, straight into the tables, `--sites` vaccination sites each with a lot in stock, one
   site-staff tablet per client (an account with a passkey session: cookie + CSRF token), and
   one checked-in, screened visit per dose to record, so that the run measures the dose only;
3. serves the app under gunicorn with infra/gunicorn.conf.py and drives
   POST /api/v1/visits/{id}/doses (with an Idempotency-Key) from `--clients` concurrent tablets
   (one asyncio process; a new connection per request, as the sync workers close them), each
   tablet recording at its own site; then again with the dose hook (hooks.on_dose_recorded,
   which supersedes the holder's passports and tells holder and guardians, inside the dose
   transaction; the new passports are issued on the next read) switched off;
4. measures, in the same run and on the same tables, the raw rate of the same transaction in SQL
   with pgbench and a custom script: (a) what the issue names — dose INSERT, ledger INSERT and the
   conditional stock UPDATE — and (b) everything the API's dose transaction sends (its SELECT and
   the visit claim too), both with the same number of clients;
5. prints doses/s, p50/p99, both raw rates and the ratios, where the time goes (CPU seconds of
   PostgreSQL, gunicorn and the load generator per dose; the SQL statements of one request), and
   checks the invariants: no balance below zero, every balance equal to its ledger, one
   administered movement per dose record, one record per visit.

The machine is shared (2 cores for PostgreSQL, gunicorn and the load generator): trust ratios
within one run more than absolute numbers; the hello-world calibration line shows how busy it is.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402



from infra.bench.harness import PG_BIN, Cluster, cpu_seconds, free_port, request_bytes, stop  # noqa: E402
from infra.bench.harness import as_pg as _as_pg  # noqa: E402
from infra.bench.harness import one_request as _one  # noqa: E402
from infra.bench.harness import start_gunicorn as _start_gunicorn  # noqa: E402


# ---------------------------------------------------------------- data

def prepare(url: str, *, sites: int, tablets: int, doses: int) -> dict:
    """Schema, demo catalogue, sites with stock, tablets, and one screened visit per dose."""
    from api.app import create_app
    from api.auth.service import token_hash
    from api.catalog import service as catalog
    from api.config import Settings
    from api.db import db
    from api.demo import seed_demo
    from api.vaccination.stock import local_date

    tmp = Path(tempfile.mkdtemp(prefix="ssk-bench-doses-inst-"))
    app = create_app(Settings(environment="test", instance_path=tmp, database_url=url,
                              secret_key="bench-" + "x" * 40, demo_data=False))
    now = datetime.now(timezone.utc)
    today = local_date(now)
    per_site = doses // sites + 100
    with app.app_context():
        db.create_all()
        with db.sessions().begin() as s:
            seed_demo(s, now=now)
            for k in range(sites):
                catalog.add_unit(s, code=f"BENCH-{k:03d}", name=f"Điểm tiêm thử {k}", kind="site",
                                 parent_code="P01-TTYT", now=now)
        md = sa.MetaData()
        md.reflect(db.engine)
        t = md.tables
        with db.engine.begin() as conn:
            site_rows = conn.execute(sa.select(t["org_unit"].c.id, t["org_unit"].c.name)
                                     .where(t["org_unit"].c.code.like("BENCH-%"))
                                     .order_by(t["org_unit"].c.code)).all()
            lots, balances, movements, site_lot = [], [], [], []
            for n, (site_id, _) in enumerate(site_rows, 1):
                lot_id = str(uuid.uuid4())
                lots.append(dict(id=lot_id, product_code="pfizer-biontech", lot_number=f"BENCH{n:04d}",
                                 expires_on=today + timedelta(days=180), manufacturer="BioNTech",
                                 received_doses=per_site, quarantine_reason="", created_at=now))
                balances.append(dict(unit_id=site_id, lot_id=lot_id, balance=per_site, updated_at=now))
                movements.append(dict(id=str(uuid.uuid4()), at=now, unit_id=site_id, lot_id=lot_id, kind="adjust",
                                      quantity=per_site, reason="bench stock"))
                site_lot.append((n, site_id, lot_id))
            conn.execute(t["lot"].insert(), lots)
            conn.execute(t["stock_balance"].insert(), balances)
            conn.execute(t["stock_movement"].insert(), movements)
            # one tablet (a site-staff account in a passkey session) per client, round-robin over sites
            accounts, roles, sessions_, tabs = [], [], [], []
            for i in range(tablets):
                aid, token, csrf = str(uuid.uuid4()), uuid.uuid4().hex + uuid.uuid4().hex, uuid.uuid4().hex
                n, site_id, lot_id = site_lot[i % len(site_lot)]
                accounts.append(dict(id=aid, phone=f"+8491{i:07d}", created_at=now))
                roles.append(dict(id=str(uuid.uuid4()), account_id=aid, role="site_staff", unit_id=site_id,
                                  created_at=now))
                sessions_.append(dict(id=str(uuid.uuid4()), token_hash=token_hash(token), csrf_token=csrf,
                                      account_id=aid, via="passkey", user_agent="bench", created_at=now,
                                      last_seen_at=now, expires_at=now + timedelta(days=1)))
                tabs.append({"token": token, "csrf": csrf, "account": aid, "site": n, "lot": lot_id, "visits": []})
            conn.execute(t["account"].insert(), accounts)
            conn.execute(t["role_assignment"].insert(), roles)
            conn.execute(t["user_session"].insert(), sessions_)
            # people with one screened visit each, spread over the tablets (and so the sites)
            people, visits, bench_visits = [], [], []
            for i in range(doses):
                tab = tabs[i % tablets]
                n, site_id, lot_id = site_lot[tab["site"] - 1]
                pid, vid = str(uuid.uuid4()), str(uuid.uuid4())
                people.append(dict(id=pid, full_name=f"Người thử {i}", date_of_birth=date(1960, 1, 1) + timedelta(days=i % 15000),
                                   sex="M", province_code=1, address_line="", created_at=now, updated_at=now, version=1))
                visits.append(dict(id=vid, person_id=pid, site_id=site_id, province_code=1, day=today, walk_in=False,
                                   check_in_method="qr", status="screened", checked_in_by=tab["account"],
                                   checked_in_at=now, screening_outcome="vaccinate_now", screened_at=now,
                                   observation_note="", reactions=[], close_reason="", updated_at=now))
                bench_visits.append(dict(n=i + 1, visit_id=vid, person_id=pid, site_n=n))
                tab["visits"].append(vid)
            for table, rows in (("person", people), ("visit", visits)):
                for k in range(0, len(rows), 5000):
                    conn.execute(t[table].insert(), rows[k:k + 5000])
            # The raw references work on the same tables; these two just map numbers to ids for pgbench.
            conn.exec_driver_sql("CREATE TABLE bench_site (n int PRIMARY KEY, unit_id text NOT NULL, lot_id text NOT NULL)")
            conn.execute(sa.text("INSERT INTO bench_site VALUES (:n, :u, :l)"),
                         [{"n": n, "u": u, "l": lot} for n, u, lot in site_lot])
            conn.exec_driver_sql("CREATE TABLE bench_visit (n int PRIMARY KEY, visit_id text NOT NULL, "
                                 "person_id text NOT NULL, site_n int NOT NULL)")
            for k in range(0, len(bench_visits), 5000):
                conn.execute(sa.text("INSERT INTO bench_visit VALUES (:n, :visit_id, :person_id, :site_n)"),
                             bench_visits[k:k + 5000])
            conn.exec_driver_sql("CREATE SEQUENCE bench_seq")
            conn.exec_driver_sql("ANALYZE")
        statements = count_statements(app, tabs[0])
    return {"tablets": tabs, "statements": statements, "instance": tmp, "site_lot": site_lot}


def count_statements(app, tab: dict) -> list[str]:
    """The SQL one dose request runs, in order (the guard's look-up included); it records two doses."""
    from api.db import db

    seen: list[str] = []

    def listen(conn, cursor, statement, *a):
        seen.append(" ".join(statement.split())[:90])

    with app.app_context():
        http = app.test_client()
        http.set_cookie("ssk_session", tab["token"])

        def dose() -> None:
            r = http.post(f"/api/v1/visits/{tab['visits'].pop()}/doses", json={"lot_id": tab["lot"]},
                          headers={"X-CSRF-Token": tab["csrf"], "Idempotency-Key": uuid.uuid4().hex})
            assert r.status_code == 201, r.get_json()

        dose()  # the first one loads the rule set, which each process then keeps (catalog.RULES_TTL)
        sa.event.listen(db.engine, "before_cursor_execute", listen)
        dose()
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    return seen


# ---------------------------------------------------------------- servers

NO_HOOK = """
# The same app with api.vaccination.hooks.on_dose_recorded doing nothing: shows what the hook
# (supersede the passports, notify holder and guardians) costs inside the dose transaction.
import wsgi
from api.vaccination import hooks

hooks.on_dose_recorded = lambda session, dose, now, **_: None
app = wsgi.app
"""
HELLO = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]
"""
LOGS = Path(tempfile.mkdtemp(prefix="ssk-bench-doses-logs-"))


# ---------------------------------------------------------------- load generator

async def drive(port: int, queues: list[list[bytes]], *, seconds: float):
    """One coroutine per tablet, each sending its next request when the answer came back."""
    results: list[tuple[int, float]] = []
    deadline = time.perf_counter() + seconds

    async def tablet(queue: list[bytes]):
        for raw in queue:
            if time.perf_counter() >= deadline:
                return
            results.append(await _one(port, raw))

    t0 = time.perf_counter()
    await asyncio.gather(*(tablet(q) for q in queues))
    return results, time.perf_counter() - t0


def summary(label: str, results, elapsed: float, ok: int) -> dict:
    good = [lat for status, lat in results if status == ok]
    lat = sorted(lat for _, lat in results)
    by_status: dict[int, int] = {}
    for status, _ in results:
        by_status[status] = by_status.get(status, 0) + 1
    rate = len(good) / elapsed
    p50 = statistics.median(lat) * 1000 if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")
    print(f"  {label:<46} {rate:>8,.0f}/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   {by_status}")
    return {"rate": rate, "p50": p50, "p99": p99, "statuses": by_status, "ok": len(good)}


def run_load(port, queues, *, seconds, ok, label, watch: dict[str, int] | None = None) -> dict:
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    before = {k: cpu_seconds(pid) for k, pid in (watch or {}).items()}
    results, elapsed = asyncio.run(drive(port, queues, seconds=seconds))
    after = {k: cpu_seconds(pid) for k, pid in (watch or {}).items()}
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    out = summary(label, results, elapsed, ok)
    out["elapsed"] = elapsed
    out["cpu"] = {k: after[k] - before[k] for k in after}
    out["cpu"]["load generator"] = cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime
    return out


# ---------------------------------------------------------------- pgbench: the same transaction in SQL

DOSE_COLUMNS = ("id, person_id, visit_id, booking_id, disease, product_code, lot_id, lot_number, dose_number, "
                "series, rule_id, administered_at, administered_on, unit_id, site_name, province_code, "
                "vaccinator_account_id, recorded_by, status, source, import_id, approved_by, approved_at, "
                "void_reason, note, idempotency_key, created_at, updated_at, version")
LOOKUP = ("SELECT v.visit_id AS vid, v.person_id AS pid, s.unit_id AS uid, s.lot_id AS lid, "
          "gen_random_uuid()::text AS did FROM bench_visit v JOIN bench_site s ON s.n = v.site_n "
          "WHERE v.n = (SELECT nextval('bench_seq')) \\gset\n")
INSERT_DOSE = (f"INSERT INTO dose_record ({DOSE_COLUMNS}) VALUES (:did, :pid, :vid, NULL, '840539006', "
               "'pfizer-biontech', :lid, 'BENCH', 1, 'primary', NULL, now(), current_date, :uid, 'bench site', 1, "
               "'bench', 'bench', 'valid', 'site', NULL, NULL, NULL, '', '', :did, now(), now(), 1);\n")
INSERT_LEDGER = ("INSERT INTO stock_movement (id, at, unit_id, lot_id, kind, quantity, reason, transfer_id, "
                 "adjustment_id, dose_record_id, actor_account_id, approved_by) VALUES (gen_random_uuid()::text, "
                 "now(), :uid, :lid, 'administer', -1, '', NULL, NULL, :did, 'bench', NULL);\n")
TAKE = ("UPDATE stock_balance SET balance = balance - 1, updated_at = now() "
        "WHERE unit_id = :uid AND lot_id = :lid AND balance >= 1;\n")
# (b) adds what the API's transaction also sends: its one SELECT (visit, site, person, lot, product,
# balance, the person's dose history, the Idempotency-Key look-up), the visit claim and the audit row.
API_SELECT = (
    "SELECT visit.person_id, visit.status, visit.screening_outcome, o.path, o.province_code, person.date_of_birth, "
    "lot.product_code, lot.expires_on, lot.quarantined_at, p.target_disease, b.balance, "
    "(SELECT string_agg(h.product_code || ':' || h.dose_number || ':' || h.administered_on, ',') "
    " FROM dose_record h WHERE h.person_id = visit.person_id AND h.status IN ('valid', 'corrected')), "
    "(SELECT d.id FROM dose_record d WHERE d.idempotency_key = :did) "
    "FROM visit JOIN org_unit o ON o.id = visit.site_id JOIN person ON person.id = visit.person_id "
    "LEFT JOIN lot ON lot.id = :lid LEFT JOIN vaccine_product p ON p.code = lot.product_code "
    "LEFT JOIN stock_balance b ON b.unit_id = visit.site_id AND b.lot_id = lot.id WHERE visit.id = :vid;\n")
CLAIM = ("UPDATE visit SET status = 'observing', dose_record_id = :did, administered_at = now(), "
         "observe_until = now() + interval '30 minutes', updated_at = now() "
         "WHERE id = :vid AND status = 'screened' AND screening_outcome = 'vaccinate_now' AND dose_record_id IS NULL;\n")
AUDIT = ("INSERT INTO audit_event (id, at, actor_account_id, action, person_id, unit_id, reason, request_id, details) "
         "VALUES (gen_random_uuid()::text, now(), 'bench', 'dose.record', :pid, :uid, '', '', "
         "json_build_object('dose_record_id', :did::text));\n")
SCRIPTS = {
    "minimal": LOOKUP + "BEGIN;\n" + INSERT_DOSE + INSERT_LEDGER + TAKE + "END;\n",
    "as_api": LOOKUP + "BEGIN;\n" + API_SELECT + CLAIM + INSERT_DOSE + INSERT_LEDGER + AUDIT + TAKE + "END;\n",
}


def pgbench(cluster: Cluster, which: str, clients: int, transactions: int, first: int) -> dict:
    """Run `transactions` of the script over visits first+1 …; (tps, latency line, CPU of PostgreSQL)."""
    folder = Path(tempfile.mkdtemp())
    script = folder / f"{which}.sql"
    script.write_text(SCRIPTS[which])
    os.chmod(folder, 0o755)
    os.chmod(script, 0o644)
    eng = sa.create_engine(cluster.sa_url)
    with eng.begin() as c:
        c.exec_driver_sql(f"SELECT setval('bench_seq', {first + 1}, false)")
    eng.dispose()
    per_client = max(1, transactions // clients)
    pg0 = cpu_seconds(cluster.postmaster_pid())
    t0 = time.perf_counter()
    out = _as_pg([str(PG_BIN / "pgbench"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-n",
                  "-M", "prepared", "-f", str(script), "-c", str(clients), "-j", "2", "-t", str(per_client),
                  "postgres"]).stdout
    wall = time.perf_counter() - t0
    pg = cpu_seconds(cluster.postmaster_pid()) - pg0
    tps = next(float(line.split("=")[1].split()[0]) for line in out.splitlines() if line.startswith("tps"))
    lat = next((line.strip() for line in out.splitlines() if "latency average" in line), "")
    return {"tps": tps, "lat": lat, "pg_cpu_per_tx_ms": pg / (per_client * clients) * 1000, "done": per_client * clients,
            "wall": wall}


# ---------------------------------------------------------------- invariants

def check(cluster: Cluster) -> tuple[bool, str]:
    eng = sa.create_engine(cluster.sa_url)
    with eng.connect() as c:
        negative = c.exec_driver_sql("SELECT count(*) FROM stock_balance WHERE balance < 0").scalar()
        off = c.exec_driver_sql(
            "SELECT count(*) FROM stock_balance b LEFT JOIN (SELECT unit_id, lot_id, sum(quantity) q FROM stock_movement "
            "GROUP BY unit_id, lot_id) m ON m.unit_id = b.unit_id AND m.lot_id = b.lot_id "
            "WHERE b.balance <> coalesce(m.q, 0)").scalar()
        doses = c.exec_driver_sql("SELECT count(*) FROM dose_record").scalar()
        administered = c.exec_driver_sql("SELECT count(*) FROM stock_movement WHERE kind = 'administer'").scalar()
        twice = c.exec_driver_sql("SELECT count(*) FROM (SELECT visit_id FROM dose_record WHERE visit_id IS NOT NULL "
                                  "GROUP BY visit_id HAVING count(*) > 1) x").scalar()
    eng.dispose()
    ok = negative == 0 and off == 0 and doses == administered and twice == 0
    return ok, (f"balances below zero {negative}, balances not equal to their ledger {off}, dose records {doses:,} "
                f"= administered movements {administered:,}, visits with two records {twice}")


# ---------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=15, help="length of the API run")
    ap.add_argument("--clients", type=int, default=64, help="concurrent tablets (and pgbench clients)")
    ap.add_argument("--sites", type=int, default=64, help="sites the tablets are spread over (fewer = hotter stock rows)")
    ap.add_argument("--workers", type=int, default=int(os.environ.get("SSK_WORKERS", os.cpu_count() * 2 + 1)))
    ap.add_argument("--doses", type=int, default=40000, help="visits prepared for the API run")
    ap.add_argument("--raw-transactions", type=int, default=40000, help="transactions per pgbench run")
    args = ap.parse_args()
    if PG_BIN is None:
        sys.exit("PostgreSQL server binaries not found (apt-get install postgresql)")
    if args.sites > args.clients:
        args.sites = args.clients

    cluster = Cluster("ssk-bench-doses-pg-")
    procs: list[subprocess.Popen] = []
    try:
        print(f"PostgreSQL: {cluster.settings()}")
        t0 = time.perf_counter()
        total = args.doses + 2 * args.raw_transactions + args.clients
        data = prepare(cluster.sa_url, sites=args.sites, tablets=args.clients, doses=total)
        print(f"prepared {total:,} screened visits at {args.sites} sites with stock, {args.clients} tablets, in "
              f"{time.perf_counter() - t0:.1f} s; {args.workers} gunicorn sync workers, {os.cpu_count()} CPUs\n")
        print("SQL statements of one dose request, the guard's included (not shown: per transaction the pool's "
              "pre-ping, BEGIN and COMMIT; a request runs two transactions, the guard's read and the dose):")
        for i, st in enumerate(data["statements"], 1):
            print(f"  {i:>2}. {st}")
        print()

        env = {"DATABASE_URL": cluster.url, "SSK_ENV": "embedded", "SSK_DEMO_DATA": "0",
               "SSK_INSTANCE_PATH": str(data["instance"]), "SSK_SECRET_KEY": "bench-" + "x" * 40,
               "SSK_WORKERS": str(args.workers)}
        api_port, hello_port = free_port(), free_port()
        hello_dir = Path(tempfile.mkdtemp(prefix="ssk-bench-hello-"))
        (hello_dir / "hello_app.py").write_text(HELLO)
        (hello_dir / "nohook_app.py").write_text(NO_HOOK)
        api = _start_gunicorn("wsgi:app", env, api_port, args.workers, ROOT, LOGS)
        procs.append(api)
        procs.append(_start_gunicorn("hello_app:app", {}, hello_port, args.workers, hello_dir, LOGS))

        tabs = data["tablets"]
        # the last visits of each tablet are the API run's; the first ones are the raw runs'
        raw_n = 2 * args.raw_transactions

        def dose_request(tab: dict, visit: str) -> bytes:
            return request_bytes("POST", f"/api/v1/visits/{visit}/doses", {"lot_id": tab["lot"]},
                                 {"Cookie": f"ssk_session={tab['token']}", "X-CSRF-Token": tab["csrf"],
                                  "Idempotency-Key": str(uuid.uuid4())})

        def checklist_request(tab: dict) -> bytes:
            return request_bytes("GET", "/api/v1/screening-checklist", None, {"Cookie": f"ssk_session={tab['token']}"})

        # bench_visit numbers visits in creation order (visit i belongs to tablet i % clients)
        mine = [tab["visits"][raw_n // args.clients + 1:] for tab in tabs]
        api_queues = [[dose_request(tab, v) for v in vs[:len(vs) // 2]] for tab, vs in zip(tabs, mine)]
        no_hook_queues = [[dose_request(tab, v) for v in vs[len(vs) // 2:]] for tab, vs in zip(tabs, mine)]
        warm = [[checklist_request(tab)] * 40 for tab in tabs]
        run_load(api_port, warm, seconds=3, ok=200, label="(warm-up: workers, pools)")
        print()
        print(f"results ({args.clients} concurrent tablets at {args.sites} sites):")
        hello_proc = procs[-1]
        hello = run_load(hello_port, [[request_bytes("GET", "/", None, {})] * 100000 for _ in tabs], seconds=4,
                         ok=200, label="calibration: WSGI hello world", watch={"gunicorn": hello_proc.pid})
        watch = {"PostgreSQL": cluster.postmaster_pid(), f"gunicorn ({args.workers} workers)": api.pid}
        floor = run_load(api_port, [[checklist_request(tab)] * 100000 for tab in tabs], seconds=5, ok=200,
                         label="API GET /screening-checklist (signed in)", watch=watch)
        res = run_load(api_port, api_queues, seconds=args.seconds, ok=201, label="API POST /visits/{id}/doses",
                       watch=watch)
        for p in procs:
            stop(p)
        procs.clear()
        no_hook_port = free_port()
        procs.append(_start_gunicorn("nohook_app:app", {**env, "PYTHONPATH": str(ROOT)}, no_hook_port, args.workers,
                                    hello_dir, LOGS))
        run_load(no_hook_port, warm, seconds=3, ok=200, label="(warm-up)")
        no_hook = run_load(no_hook_port, no_hook_queues, seconds=args.seconds, ok=201,
                           label="API POST doses, dose hook switched off", watch=watch | {
                               f"gunicorn ({args.workers} workers)": procs[-1].pid})
        for p in procs:
            stop(p)
        procs.clear()
        time.sleep(1)
        raw_min = pgbench(cluster, "minimal", args.clients, args.raw_transactions, first=0)
        raw_api = pgbench(cluster, "as_api", args.clients, args.raw_transactions, first=args.raw_transactions)
        print(f"  {'pgbench: dose INSERT + ledger INSERT + UPDATE':<46} {raw_min['tps']:>8,.0f}/s   "
              f"({raw_min['lat']}; PostgreSQL CPU {raw_min['pg_cpu_per_tx_ms']:.2f} ms/tx)")
        print(f"  {'pgbench: all the API transaction sends':<46} {raw_api['tps']:>8,.0f}/s   "
              f"({raw_api['lat']}; PostgreSQL CPU {raw_api['pg_cpu_per_tx_ms']:.2f} ms/tx)")
        ok, invariants = check(cluster)

        n = max(res["ok"], 1)
        print()
        print(f"API dose records/s {res['rate']:,.0f}, p50 {res['p50']:.1f} ms, p99 {res['p99']:.1f} ms "
              f"(aim: >= 1,000/s)")
        print(f"  / raw SQL, the issue's transaction ({raw_min['tps']:,.0f}/s): {res['rate'] / raw_min['tps']:.2f}")
        print(f"  / raw SQL, everything the API transaction sends ({raw_api['tps']:,.0f}/s): "
              f"{res['rate'] / raw_api['tps']:.2f}")
        print(f"where the time goes, CPU per recorded dose during the API run ({os.cpu_count()} cores = "
              f"{os.cpu_count() * res['elapsed'] / n * 1000:.2f} ms of CPU available per dose at this rate):")
        for k, v in res["cpu"].items():
            print(f"  {k:<24} {v / n * 1000:6.2f} ms")
        g = f"gunicorn ({args.workers} workers)"
        print(f"  of the gunicorn share: a WSGI hello world costs {hello['cpu']['gunicorn'] / max(hello['ok'], 1) * 1000:.2f} ms "
              f"a request, a signed-in GET of a constant (guard: session look-up; Flask, flask-smorest, JSON) "
              f"{floor['cpu'][g] / max(floor['ok'], 1) * 1000:.2f} ms; the dose's own work is the rest")
        print(f"  without the dose hook (hooks.on_dose_recorded: supersede passports, notify): "
              f"{no_hook['rate']:,.0f}/s; PostgreSQL {no_hook['cpu']['PostgreSQL'] / max(no_hook['ok'], 1) * 1000:.2f} ms, "
              f"gunicorn {no_hook['cpu'][g] / max(no_hook['ok'], 1) * 1000:.2f} ms a dose")
        print(f"  (the machine served {hello['rate']:,.0f} hello-world req/s: FACTS.md says 6,000-9,000 on a quiet box;"
              f" much lower means other load shares the CPUs)")
        print(f"invariants: {invariants}: {'OK' if ok else 'BROKEN'}")
    finally:
        for p in procs:
            stop(p)
        cluster.stop()


if __name__ == "__main__":
    main()
