"""Faults with real worker processes (`python -m notifications.worker`) on PostgreSQL.

The SMS gateway here is a LOCAL STAND-IN (the real one cannot be reached): it counts every
request it receives by the outbox id the worker sends as Idempotency-Key.

What we assert, and why it is the design's claim (see notifications/worker.py):
- SIGKILL during a send: every message is delivered; the ONLY message received twice is the one
  that was in flight when the worker died (the gateway had it, the worker never recorded it), and
  it is received exactly twice. Nothing else is resent: each result is committed before the next
  send, and messages claimed but not yet sent are taken again only after their lease.
- Two workers at once: every message is received exactly once, and both workers did work.
The worker processes run on the real clock, so messages are enqueued at a fixed time in the past.
"""
from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from notifications.models import outbox_message
from notifications.outbox import enqueue
from tests.conftest import ROOT
from tests.notifications.conftest import json_answer

pytestmark = pytest.mark.postgres

CREATED = datetime(2026, 1, 1, tzinfo=timezone.utc)  # before the real clock: all due at once


def fill(engine, n: int) -> list[str]:
    with engine.begin() as conn:
        return [enqueue(conn, dedupe_key=f"appt:{i}", channel="sms", to=f"+849{i:08d}",
                        template="appointment_2h", lang="vi", now=CREATED,
                        params={"person_name": f"Người {i}", "site_name": "Trạm Y tế",
                                "time": "08:30"}) for i in range(n)]


def start_worker(url: str, gateway: str, log: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "SSK_SMS_GATEWAY_URL": gateway, "PYTHONPATH": str(ROOT)}
    env.pop("SSK_SMTP_HOST", None)
    with open(log, "w") as err:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "notifications.worker", "--database-url", url,
             "--poll-seconds", "0.05", *args],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert proc.returncode in (0, -signal.SIGKILL)


def statuses(engine) -> collections.Counter:
    with engine.connect() as conn:
        return collections.Counter(dict(conn.execute(
            sa.select(outbox_message.c.status, sa.func.count()).group_by(outbox_message.c.status)
        ).all()))


def test_a_worker_killed_mid_batch_loses_nothing_and_resends_only_the_message_in_flight(
        pg_engine, postgresql_url, http_receiver, tmp_path):
    ids = fill(pg_engine, 300)
    received: collections.Counter = collections.Counter()
    killed = threading.Event()
    victim: dict = {}

    def gateway(req):
        mid = req.headers["idempotency-key"]
        received[mid] += 1
        if sum(received.values()) == 123 and not killed.is_set():
            # Mid-batch (batch 50: the 23rd of the third), while the worker waits for our
            # answer: the worst moment, when we have the message and it has no receipt.
            victim["id"] = mid
            os.kill(victim["pid"], signal.SIGKILL)
            killed.set()
            return None
        return json_answer(200, {"id": f"gw-{mid}"})

    receiver = http_receiver(gateway)
    args = ("--batch", "50", "--lease-seconds", "2")
    first = start_worker(postgresql_url, receiver.url, tmp_path / "w1.log", *args)
    victim["pid"] = first.pid
    try:
        assert killed.wait(30), "the worker never reached the 123rd message"
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
        before = statuses(pg_engine)
        assert before["sent"] == 122 and before["sending"] >= 1
        second = start_worker(postgresql_url, receiver.url, tmp_path / "w2.log", *args)
        try:
            wait_for(lambda: statuses(pg_engine)["sent"] == 300, 30, "all 300 sent")
        finally:
            stop(second)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert set(received) == set(ids)
    assert {mid: n for mid, n in received.items() if n > 1} == {victim["id"]: 2}
    with pg_engine.connect() as conn:
        attempts = conn.execute(sa.select(outbox_message.c.attempts)
                                .where(outbox_message.c.id == victim["id"])).scalar_one()
    assert attempts == 2


def test_two_workers_at_once_never_send_the_same_message(
        pg_engine, postgresql_url, http_receiver, tmp_path):
    received: collections.Counter = collections.Counter()
    lock = threading.Lock()

    def gateway(req):
        with lock:
            received[req.headers["idempotency-key"]] += 1
        time.sleep(0.001)
        return json_answer(200, {"id": "gw"})

    receiver = http_receiver(gateway)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    workers = [start_worker(postgresql_url, receiver.url, log, "--batch", "10",
                            "--worker-id", name)
               for log, name in zip(logs, ("worker-a", "worker-b"))]
    try:
        wait_for(lambda: all("started" in log.read_text() for log in logs), 20, "workers up")
        ids = fill(pg_engine, 400)
        wait_for(lambda: statuses(pg_engine)["sent"] == 400, 30, "all 400 sent")
    finally:
        for proc in workers:
            stop(proc)
    assert set(received) == set(ids)
    assert max(received.values()) == 1
    with pg_engine.connect() as conn:
        by_worker = dict(conn.execute(
            sa.select(outbox_message.c.claimed_by, sa.func.count())
            .group_by(outbox_message.c.claimed_by)).all())
    assert set(by_worker) == {"worker-a", "worker-b"}, by_worker
