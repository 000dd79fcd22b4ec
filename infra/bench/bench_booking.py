"""Booking throughput through the real API, against its two references, in one run (by hand, not CI).

    .venv/bin/python infra/bench/bench_booking.py [--seconds 15] [--clients 64] [--workers 5]

What it does, all on this machine:
1. starts its own PostgreSQL cluster (a temporary directory, fsync and synchronous_commit ON: the
   durable setting, unlike the test cluster), creates the schema and the demo catalogue;
2. prepares people, accounts, signed-in sessions (cookie + CSRF), approved registrations and many
   sessions × hourly slots straight into the tables, so that the run measures booking only;
3. serves the app under gunicorn with infra/gunicorn.conf.py and drives POST /api/v1/bookings
   with `--clients` concurrent clients (one asyncio process, a new connection per request as the
   sync workers close them), each booking a different person into slots spread round-robin;
4. measures, in the same run: (a) pgbench with a custom script doing the equivalent conditional
   UPDATE + INSERT on tables of the same shape; (b) a bare Flask route doing only that statement
   pair under the same gunicorn settings; (c) a public GET without and with the session cookie,
   which isolates the cost of the per-request session look-up;
5. prints bookings/s, p50/p99, the references and the ratios, checks the capacity invariant
   (no slot over capacity, booked = active bookings), and counts the SQL statements one booking
   request runs (in-process, with an event listener).

The machine is shared (2 cores for PostgreSQL, gunicorn and the load generator): trust the ratios
within one run more than the absolute numbers. The load generator's own CPU time is printed.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
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

def prepare(url: str, *, people: int, slots_wanted: int, seats_per_slot: int) -> dict:
    """Schema, demo catalogue, and everything the run books with, inserted in bulk."""
    from api.app import create_app
    from api.auth.service import token_hash
    from api.booking.service import LOCAL
    from api.config import Settings
    from api.db import db
    from api.demo import seed_demo

    tmp = Path(tempfile.mkdtemp(prefix="ssk-bench-inst-"))
    TEMP_DIRS.append(tmp)
    app = create_app(Settings(environment="test", instance_path=tmp, database_url=url + "",
                              secret_key="bench-" + "x" * 40, demo_data=False))
    now = datetime.now(timezone.utc)
    with app.app_context():
        db.create_all()
        with db.sessions().begin() as s:
            seed_demo(s, now=now)
        md = sa.MetaData()
        md.reflect(db.engine)
        t = md.tables
        with db.engine.begin() as conn:
            sites = conn.execute(sa.select(t["org_unit"].c.id).where(
                t["org_unit"].c.code.in_(["HN-HK", "HN-BD"]))).scalars().all()
            product = conn.execute(sa.select(t["vaccine_product"].c.id).where(
                t["vaccine_product"].c.code == "pfizer-biontech")).scalar_one()
            day0 = now.astimezone(LOCAL).date() + timedelta(days=2)
            slots, sessions, n = [], [], 0
            per_session = 10  # 07:00-17:00 in hourly slots
            while len(slots) < slots_wanted:
                day = day0 + timedelta(days=n // len(sites))
                vs_id = str(uuid.uuid4())
                start = datetime(day.year, day.month, day.day, 7, tzinfo=LOCAL)
                sessions.append(dict(id=vs_id, site_id=sites[n % len(sites)], product_id=product, day=day,
                                     starts_at=start, ends_at=start + timedelta(hours=per_session),
                                     capacity=per_session * seats_per_slot, status="open", note="bench",
                                     created_at=now))
                for h in range(per_session):
                    slots.append(dict(id=str(uuid.uuid4()), session_id=vs_id,
                                      starts_at=start + timedelta(hours=h),
                                      ends_at=start + timedelta(hours=h + 1), capacity=seats_per_slot, booked=0))
                n += 1
            conn.execute(t["vaccination_session"].insert(), sessions)
            conn.execute(t["slot"].insert(), slots)
            clients = []
            persons, accounts, user_sessions, regs = [], [], [], []
            for i in range(people):
                pid, aid = str(uuid.uuid4()), str(uuid.uuid4())
                token, csrf = uuid.uuid4().hex + uuid.uuid4().hex, uuid.uuid4().hex
                persons.append(dict(id=pid, full_name=f"Người thử {i}", date_of_birth=date(1980, 1, 1) + timedelta(days=i % 9000),
                                    sex="M", province_code=1, ward_code=70, address_line="", created_at=now,
                                    updated_at=now, version=1))
                accounts.append(dict(id=aid, phone=f"+8490{i:07d}", person_id=pid, created_at=now))
                user_sessions.append(dict(id=str(uuid.uuid4()), token_hash=token_hash(token), csrf_token=csrf,
                                          account_id=aid, via="otp", user_agent="bench", created_at=now,
                                          last_seen_at=now, expires_at=now + timedelta(days=1)))
                regs.append(dict(id=str(uuid.uuid4()), person_id=pid, disease="840539006", priority_group="general",
                                 preferred_province_code=1, note="", status="approved", status_reason="",
                                 created_by=aid, created_at=now, updated_at=now))
                clients.append((token, csrf, pid))
            for table, rows in (("person", persons), ("account", accounts), ("user_session", user_sessions),
                                ("registration", regs)):
                for k in range(0, len(rows), 5000):
                    conn.execute(t[table].insert(), rows[k:k + 5000])
            # The references' tables: the same shape as slot and booking, integer keys for pgbench.
            conn.exec_driver_sql("CREATE TABLE bench_slot (id int PRIMARY KEY, capacity int NOT NULL, "
                                 "booked int NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= capacity))")
            conn.exec_driver_sql("CREATE TABLE bench_booking (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "
                                 "slot_id int NOT NULL REFERENCES bench_slot, person_id text NOT NULL, "
                                 "status text NOT NULL, created_at timestamptz NOT NULL)")
            conn.exec_driver_sql(f"INSERT INTO bench_slot SELECT g, 1000000, 0 FROM generate_series(1, {len(slots)}) g")
            conn.exec_driver_sql("ANALYZE")
        statements = count_statements(app, clients[-1], slots[-1]["id"])
    # The in-process probe booked one seat with the last person: the run does not use them.
    return {"clients": clients[:-1], "slots": [s["id"] for s in slots], "statements": statements,
            "instance": tmp, "n_slots": len(slots)}


def count_statements(app, client, slot_id) -> list[str]:
    """The SQL one booking request runs, in order (the guard's look-up included)."""
    from api.db import db

    token, csrf, person_id = client
    seen: list[str] = []

    def listen(conn, cursor, statement, *a):
        seen.append(" ".join(statement.split())[:70])

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", listen)
        http = app.test_client()
        http.set_cookie("ssk_session", token)
        r = http.post("/api/v1/bookings", json={"person_id": person_id, "slot_id": slot_id},
                      headers={"X-CSRF-Token": csrf, "Idempotency-Key": uuid.uuid4().hex})
        sa.event.remove(db.engine, "before_cursor_execute", listen)
        assert r.status_code == 201, r.get_json()
    return seen


# ---------------------------------------------------------------- servers

BARE = """
import os
from flask import Flask, request, jsonify
import sqlalchemy as sa
from api.db import make_engine

app = Flask(__name__)
engine = None

@app.post("/bare")
def bare():
    global engine
    if engine is None:
        engine = make_engine(os.environ["BENCH_DB"])  # the app's pool settings, after fork
    slot = int(request.get_json()["slot"])
    with engine.begin() as conn:
        taken = conn.execute(sa.text("UPDATE bench_slot SET booked = booked + 1 WHERE id = :s AND booked < capacity"),
                             {"s": slot}).rowcount
        if not taken:
            return jsonify(type="/problems/slot-full"), 409
        conn.execute(sa.text("INSERT INTO bench_booking (slot_id, person_id, status, created_at) "
                             "VALUES (:s, :p, 'confirmed', now())"), {"s": slot, "p": request.get_json()["person"]})
    return jsonify(ok=True), 201
"""


HELLO = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]
"""
LOGS = Path(tempfile.mkdtemp(prefix="ssk-bench-logs-"))
TEMP_DIRS: list[Path] = []


# ---------------------------------------------------------------- load generator

async def drive(port: int, make_request, *, clients: int, seconds: float, limit: int | None = None):
    """`clients` coroutines, each sending the next request when its answer came back."""
    results: list[tuple[int, float]] = []
    counter = iter(range(limit or 10**9))
    deadline = time.perf_counter() + seconds

    async def client():
        while time.perf_counter() < deadline:
            try:
                i = next(counter)
            except StopIteration:
                return
            results.append(await _one(port, make_request(i)))

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
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
    print(f"  {label:<44} {rate:>8,.0f}/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   {by_status}")
    return {"rate": rate, "p50": p50, "p99": p99, "statuses": by_status}


def run_load(port, make_request, *, clients, seconds, ok, label, limit=None, watch: dict[str, int] | None = None):
    """`watch`: process trees whose CPU seconds are counted during the run (name → root pid)."""
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    before = {k: cpu_seconds(pid) for k, pid in (watch or {}).items()}
    results, elapsed = asyncio.run(drive(port, make_request, clients=clients, seconds=seconds, limit=limit))
    after = {k: cpu_seconds(pid) for k, pid in (watch or {}).items()}
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    out = summary(label, results, elapsed, ok)
    own = cpu1.ru_utime - cpu0.ru_utime + cpu1.ru_stime - cpu0.ru_stime
    out["client_cpu"] = own / elapsed
    out["ok"] = sum(1 for status, _ in results if status == ok)
    out["cpu"] = {k: after[k] - before[k] for k in after} | {"load generator": own}
    return out


def cpu_line(label: str, run: dict) -> str:
    n = max(run["ok"], 1)
    return f"  {label:<34} " + ", ".join(f"{k} {v / n * 1000:.2f} ms" for k, v in run["cpu"].items())


# ---------------------------------------------------------------- pgbench

def pgbench(cluster: Cluster, n_slots: int, clients: int, seconds: int) -> float:
    script = Path(tempfile.mkdtemp(prefix="ssk-bench-pgbench-")) / "booking.sql"
    TEMP_DIRS.append(script.parent)
    script.write_text(
        f"\\set slot random(1, {n_slots})\n"
        "BEGIN;\n"
        "UPDATE bench_slot SET booked = booked + 1 WHERE id = :slot AND booked < capacity;\n"
        "INSERT INTO bench_booking (slot_id, person_id, status, created_at) VALUES (:slot, :client_id, 'confirmed', now());\n"
        "END;\n")
    os.chmod(script.parent, 0o755)
    os.chmod(script, 0o644)
    out = _as_pg([str(PG_BIN / "pgbench"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "-n",
                  "-f", str(script), "-c", str(clients), "-j", "2", "-T", str(seconds), "postgres"]).stdout
    tps = next(float(line.split("=")[1].split()[0]) for line in out.splitlines() if line.startswith("tps"))
    lat = next((line for line in out.splitlines() if "latency average" in line), "")
    print(f"  {'pgbench UPDATE … AND booked < capacity + INSERT':<44} {tps:>8,.0f}/s   ({lat.strip()}, {clients} clients)")
    return tps


# ---------------------------------------------------------------- main

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--clients", type=int, default=64)
    ap.add_argument("--workers", type=int, default=int(os.environ.get("SSK_WORKERS", os.cpu_count() * 2 + 1)))
    ap.add_argument("--people", type=int, default=40000)
    ap.add_argument("--seats-per-slot", type=int, default=20)
    args = ap.parse_args()
    if PG_BIN is None:
        sys.exit("PostgreSQL server binaries not found (apt-get install postgresql)")

    cluster = Cluster()
    procs: list[subprocess.Popen] = []
    try:
        print(f"PostgreSQL: {cluster.settings()}")
        url = cluster.url.replace("postgresql://", "postgresql+psycopg://")
        t0 = time.perf_counter()
        slots_wanted = max(200, (args.people // args.seats_per_slot) + 200)
        data = prepare(url, people=args.people, slots_wanted=slots_wanted, seats_per_slot=args.seats_per_slot)
        print(f"prepared {len(data['clients']):,} signed-in people and {data['n_slots']:,} slots of "
              f"{args.seats_per_slot} seats in {time.perf_counter() - t0:.1f} s; "
              f"{args.workers} gunicorn sync workers, {args.clients} concurrent clients, {os.cpu_count()} CPUs\n")
        print("SQL statements of one booking request (guard included):")
        for i, st in enumerate(data["statements"], 1):
            print(f"  {i:>2}. {st}")
        print()

        env = {"DATABASE_URL": cluster.url, "SSK_ENV": "embedded", "SSK_DEMO_DATA": "0",
               "SSK_INSTANCE_PATH": str(data["instance"]), "SSK_SECRET_KEY": "bench-" + "x" * 40,
               "SSK_WORKERS": str(args.workers), "BENCH_DB": url}
        api_port, bare_port = free_port(), free_port()
        bare_dir = Path(tempfile.mkdtemp(prefix="ssk-bench-bare-"))
        TEMP_DIRS.append(bare_dir)
        (bare_dir / "bare_app.py").write_text(BARE)
        (bare_dir / "hello_app.py").write_text(HELLO)
        hello_port = free_port()
        procs.append(_start_gunicorn("wsgi:app", env, api_port, args.workers, ROOT, LOGS))
        procs.append(_start_gunicorn("bare_app:app", {**env, "PYTHONPATH": str(ROOT)}, bare_port, args.workers, bare_dir, LOGS))
        api_watch = {"PostgreSQL": cluster.postmaster_pid(), "gunicorn": procs[0].pid}
        bare_watch = {"PostgreSQL": cluster.postmaster_pid(), "gunicorn": procs[1].pid}
        procs.append(_start_gunicorn("hello_app:app", {}, hello_port, args.workers, bare_dir, LOGS))

        clients, slots = data["clients"], data["slots"]

        def booking(i: int) -> bytes:
            token, csrf, person = clients[i]
            return request_bytes("POST", "/api/v1/bookings", {"person_id": person, "slot_id": slots[i % len(slots)]},
                                 {"Cookie": f"ssk_session={token}", "X-CSRF-Token": csrf,
                                  "Idempotency-Key": f"bench-{i:09d}"})

        def bare(i: int) -> bytes:
            return request_bytes("POST", "/bare", {"slot": 1 + i % data["n_slots"], "person": f"p{i}"}, {})

        def public(i: int) -> bytes:
            return request_bytes("GET", "/api/v1/priority-groups", None, {})

        def public_signed_in(i: int) -> bytes:
            return request_bytes("GET", "/api/v1/priority-groups", None,
                                 {"Cookie": f"ssk_session={clients[i % len(clients)][0]}"})

        # Warm up every worker (imports, pools), on the reference routes only.
        run_load(bare_port, bare, clients=args.clients, seconds=2, ok=201, label="(warm-up bare)")
        run_load(api_port, public_signed_in, clients=args.clients, seconds=2, ok=200, label="(warm-up API)")
        print()
        print(f"results ({args.seconds:.0f} s each, {args.clients} concurrent clients):")
        hello = run_load(hello_port, lambda i: request_bytes("GET", "/", None, {}), clients=args.clients,
                         seconds=min(args.seconds, 5), ok=200, label="calibration: WSGI hello world")
        api = run_load(api_port, booking, clients=args.clients, seconds=args.seconds, ok=201,
                       label="API POST /bookings (sign-in, rules, idem.)", limit=len(clients), watch=api_watch)
        ref_bare = run_load(bare_port, bare, clients=args.clients, seconds=args.seconds, ok=201,
                            label="bare Flask route, UPDATE + INSERT only", watch=bare_watch)
        pub = run_load(api_port, public, clients=args.clients, seconds=min(args.seconds, 8), ok=200,
                       label="API GET /priority-groups, no cookie")
        pub_auth = run_load(api_port, public_signed_in, clients=args.clients, seconds=min(args.seconds, 8), ok=200,
                            label="API GET /priority-groups, with session")
        for p in procs:
            stop(p)
        procs.clear()
        time.sleep(1)
        raw = pgbench(cluster, data["n_slots"], args.clients, int(min(args.seconds, 10)))
        raw32 = pgbench(cluster, data["n_slots"], 32, int(min(args.seconds, 10)))

        eng = sa.create_engine(url)
        with eng.connect() as c:
            over = c.exec_driver_sql("SELECT count(*) FROM slot WHERE booked > capacity").scalar()
            seats = c.exec_driver_sql("SELECT coalesce(sum(booked), 0) FROM slot").scalar()
            active = c.exec_driver_sql("SELECT count(*) FROM booking WHERE status IN ('booked', 'confirmed')").scalar()
        eng.dispose()

        print()
        print(f"API bookings/s {api['rate']:,.0f}, p50 {api['p50']:.1f} ms, p99 {api['p99']:.1f} ms "
              f"(aim: >= 1,000/s, p99 < 100 ms)")
        print(f"  / bare Flask route ({ref_bare['rate']:,.0f}/s): {api['rate'] / ref_bare['rate']:.2f}")
        print(f"  / raw PostgreSQL, pgbench {args.clients} clients ({raw:,.0f}/s): {api['rate'] / raw:.2f}"
              f"   (32 clients: {raw32:,.0f}/s)")
        print(f"  bare route / raw PostgreSQL: {ref_bare['rate'] / raw:.2f}")
        cost_auth = 1 / pub_auth["rate"] - 1 / pub["rate"]
        cost_api = 1 / api["rate"]
        print(f"  the session look-up costs {cost_auth * 1000:.2f} ms of server time per request "
              f"({pub['rate']:,.0f}/s without the cookie, {pub_auth['rate']:,.0f}/s with it): "
              f"{cost_auth / cost_api:.0%} of a booking's {cost_api * 1000:.2f} ms")
        print(f"where the time goes, CPU per request ({os.cpu_count()} cores):")
        print(cpu_line("API booking", api))
        print(cpu_line("bare route", ref_bare))
        print(f"  load generator CPU: {api['client_cpu']:.0%} of one core during the API run; "
              f"the machine served {hello['rate']:,.0f} hello-world req/s under these settings "
              f"(FACTS.md: a bare Flask JSON route does 6,000-9,000/s on a quiet box; "
              f"much lower means other load shares the CPUs)")
        print(f"invariant: slots over capacity {over}, seats taken {seats:,} = active bookings {active:,}: "
              f"{'OK' if over == 0 and seats == active else 'BROKEN'}")
    except BaseException:
        print(f"gunicorn logs kept in {LOGS}", file=sys.stderr)
        raise
    else:
        shutil.rmtree(LOGS, ignore_errors=True)
    finally:
        for p in procs:
            stop(p)
        cluster.stop()
        for d in TEMP_DIRS:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
