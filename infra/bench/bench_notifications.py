"""Outbox throughput on PostgreSQL: fill rate against delivery by one and by two workers.

Run by hand (not a test):  .venv/bin/python infra/bench/bench_notifications.py [--n 3000]
        [--server-url postgresql://postgres@127.0.0.1:54329/postgres]

- fill: `enqueue` from one client, one message per transaction (how the API writes them: each in
  the transaction of the change that causes it), and 100 per transaction (a campaign).
- deliver: `python -m notifications.worker` processes (real ones: the GIL is per process) sending
  SMS through HttpSmsGateway to a local stand-in gateway in its own process; and the inbox channel,
  which sends nothing, to show the outbox's own ceiling. Rate = messages / (last sent_at - first
  sent_at), so process start-up is not counted; wall time including start-up is printed too.
The machine is shared (2 cores for PostgreSQL, the workers, the receiver and this script):
trust the ratios more than the absolute numbers.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from notifications.db import make_engine  # noqa: E402
from notifications.models import metadata, outbox_message  # noqa: E402
from notifications.outbox import enqueue  # noqa: E402

PARAMS = {"person_name": "Nguyễn Văn An", "site_name": "Trạm Y tế phường Ba Đình",
          "time": "08:30"}


def receiver(port_queue) -> None:
    """A local stand-in SMS gateway: answers 200 {id} to every POST."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps({"id": self.headers.get("Idempotency-Key", "")}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_queue.put(server.server_port)
    server.serve_forever()


def fill(engine, n: int, per_txn: int, channel: str, tag: str) -> float:
    """Enqueue n messages, per_txn to a transaction; returns messages per second."""
    now = datetime.now(timezone.utc)
    t0 = time.perf_counter()
    for start in range(0, n, per_txn):
        with engine.begin() as conn:
            for i in range(start, min(n, start + per_txn)):
                enqueue(conn, dedupe_key=f"{tag}:{i}", channel=channel,
                        to=None if channel == "inbox" else f"+849{i:08d}",
                        template="appointment_2h", params=PARAMS, lang="vi", now=now)
    return n / (time.perf_counter() - t0)


def fill_concurrent(engine, n: int, clients: int, tag: str) -> float:
    """Like fill(…, per_txn=1) from `clients` threads at once (API processes writing together)."""
    from concurrent.futures import ThreadPoolExecutor

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda k: fill(engine, n // clients, 1, "sms", f"{tag}{k}"),
                      range(clients)))
    return (n // clients * clients) / (time.perf_counter() - t0)


def sent_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).where(
            outbox_message.c.status == "sent")).scalar_one()


def drain(engine, url: str, gateway: str, workers: int, n: int) -> tuple[float, float]:
    """Start `workers` worker processes on n pending messages; (rate by sent_at, wall seconds)."""
    env = {**os.environ, "SSK_SMS_GATEWAY_URL": gateway, "PYTHONPATH": str(ROOT)}
    target = sent_count(engine) + n
    t0 = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "notifications.worker", "--database-url",
                               url, "--batch", "50", "--poll-seconds", "0.05"],
                              cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
             for _ in range(workers)]
    try:
        while sent_count(engine) < target:
            if any(p.poll() is not None for p in procs):
                raise RuntimeError("a worker exited")
            time.sleep(0.05)
        wall = time.perf_counter() - t0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
    with engine.connect() as conn:
        first, last = conn.execute(sa.select(sa.func.min(outbox_message.c.sent_at),
                                             sa.func.max(outbox_message.c.sent_at))
                                   .where(outbox_message.c.status == "sent",
                                          outbox_message.c.provider_id != "done")).one()
        # Mark this round's rows so the next round's first/last sent_at are its own.
        conn.execute(sa.update(outbox_message).where(outbox_message.c.status == "sent")
                     .values(provider_id="done"))
        conn.commit()
    return n / (last - first).total_seconds(), wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--server-url", default=None)
    args = parser.parse_args()
    server = args.server_url or subprocess.run(
        [str(ROOT / "infra/testdb.sh"), "start"], check=True, capture_output=True,
        text=True).stdout.strip()
    name = f"bench_notif_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url, pool_size=4)
    ports = multiprocessing.Queue()
    gateway_proc = multiprocessing.Process(target=receiver, args=(ports,), daemon=True)
    gateway_proc.start()
    gateway = f"http://127.0.0.1:{ports.get(timeout=10)}"
    try:
        metadata.create_all(engine)
        n = args.n
        fill_1 = fill(engine, n, 1, "sms", "fill1")
        fill_4 = fill_concurrent(engine, n, 4, "fill4c")
        fill_100 = fill(engine, n, 100, "sms", "fill100")
        with engine.begin() as conn:  # the fill rounds' rows are not part of the drain rounds
            conn.execute(sa.delete(outbox_message))
        rows = []
        for channel in ("sms", "inbox"):
            for workers in (1, 2):
                fill(engine, n, 500, channel, f"{channel}{workers}")
                rate, wall = drain(engine, url, gateway, workers, n)
                rows.append((channel, workers, rate, wall))
        print(f"PostgreSQL outbox benchmark, {n} messages per round, {os.cpu_count()} cores")
        print(f"fill, 1 message per transaction (1 client):   {fill_1:8.0f} msg/s")
        print(f"fill, 1 message per transaction (4 clients):  {fill_4:8.0f} msg/s "
              "(threads of one process: GIL-bound)")
        print(f"fill, 100 messages per transaction (1 client): {fill_100:8.0f} msg/s")
        for channel, workers, rate, wall in rows:
            what = ("SMS over HTTP to local gateway" if channel == "sms"
                    else "inbox (no network send)")
            print(f"deliver, {workers} worker(s), {what:32s}: {rate:8.0f} msg/s "
                  f"(wall incl. start-up {wall:5.2f} s)  fill(1/txn)/deliver = "
                  f"{fill_1 / rate:5.2f}")
        sms1 = next(r[2] for r in rows if r[:2] == ("sms", 1))
        sms2 = next(r[2] for r in rows if r[:2] == ("sms", 2))
        print(f"two workers / one worker (SMS): {sms2 / sms1:4.2f}x")
    finally:
        gateway_proc.terminate()
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
