"""The outbox on SQLite and PostgreSQL: enqueue in the caller's transaction, claim, retry, dead-letter."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from notifications.channels import InboxChannel
from notifications.channels.sms import HttpSmsGateway, SmsChannel
from notifications.outbox import delivery_stats, enqueue
from notifications.templates import TemplateError
from notifications.worker import Worker
from tests.notifications.conftest import json_answer, outbox_rows

CERT = dict(template="certificate_ready", params={"person_name": "Nguyễn Văn An"}, lang="vi")


def test_enqueue_with_a_known_dedupe_key_adds_nothing(engine, clock):
    with engine.begin() as conn:
        first = enqueue(conn, dedupe_key="cert:1", channel="inbox", to=None, account_id="acc-1",
                        now=clock(), **CERT)
    # A second delivery of the same domain event, through an ORM session this time.
    with so.Session(engine) as session, session.begin():
        again = enqueue(session, dedupe_key="cert:1", channel="inbox", to=None,
                        account_id="acc-1", now=clock(), **CERT)
    assert first and again is None
    rows = outbox_rows(engine)
    assert list(rows) == [first]
    row = rows[first]
    assert (row.status, row.attempts, row.recipient, row.params) == \
        ("pending", 0, None, {"person_name": "Nguyễn Văn An"})
    assert row.created_at == clock() and row.created_at.utcoffset() == timedelta(0)


def test_a_message_rolls_back_with_the_change_that_caused_it(engine, clock):
    with pytest.raises(RuntimeError), engine.begin() as conn:
        enqueue(conn, dedupe_key="cert:2", channel="inbox", to=None, now=clock(), **CERT)
        raise RuntimeError("the booking failed after the message was written")
    assert outbox_rows(engine) == {}


def test_a_missing_template_param_fails_in_the_callers_transaction(engine, clock):
    with pytest.raises(TemplateError), engine.begin() as conn:
        enqueue(conn, dedupe_key="x", channel="sms", to="+84901234567",
                template="appointment_2h", params={"person_name": "An"}, lang="vi", now=clock())


def test_quiet_hours_delay_push_but_not_urgent_safety_messages(engine, clock):
    clock.now = clock.now.replace(hour=16)  # 23:00 in Hà Nội
    night = (time(21), time(7))
    with engine.begin() as conn:
        calm = enqueue(conn, dedupe_key="a", channel="sms", to="+84901234567",
                       quiet_hours=night, now=clock(), **CERT)
        alert = enqueue(conn, dedupe_key="b", channel="sms", to="+84901234567", urgent=True,
                        quiet_hours=night, now=clock(), template="serious_reaction_alert",
                        params={"person_name": "An", "vaccine": "X", "hotline": "1900"},
                        lang="vi")
        inbox = enqueue(conn, dedupe_key="c", channel="inbox", to=None, quiet_hours=night,
                        now=clock(), **CERT)
    rows = outbox_rows(engine)
    assert rows[calm].next_attempt_at == clock.now.replace(hour=0) + timedelta(days=1)  # 07:00
    assert rows[alert].next_attempt_at == clock()
    assert rows[inbox].next_attempt_at == clock()


def test_an_inbox_message_is_delivered_when_it_falls_due(engine, clock):
    with engine.begin() as conn:
        mid = enqueue(conn, dedupe_key="day-before", channel="inbox", to=None,
                      account_id="acc-1", not_before=clock() + timedelta(hours=5), now=clock(),
                      **CERT)
    worker = Worker(engine, {"inbox": InboxChannel()}, clock=clock)
    assert worker.run_once() == 0
    clock.advance(hours=5)
    assert worker.run_once() == 1
    row = outbox_rows(engine)[mid]
    assert (row.status, row.sent_at, row.attempts) == ("sent", clock(), 1)


def test_a_claim_abandoned_by_a_dead_worker_is_taken_again_after_its_lease(engine, clock):
    with engine.begin() as conn:
        mid = enqueue(conn, dedupe_key="k", channel="inbox", to=None, now=clock(), **CERT)
    lease = timedelta(seconds=60)
    dead = Worker(engine, {"inbox": InboxChannel()}, clock=clock, lease=lease, worker_id="dead")
    [claimed] = dead.claim()  # ...and the process dies before sending
    alive = Worker(engine, {"inbox": InboxChannel()}, clock=clock, lease=lease, worker_id="alive")
    assert alive.run_once() == 0  # still leased
    clock.advance(seconds=61)
    assert alive.run_once() == 1
    # The first worker's late answer is fenced off by the attempt number.
    dead._record_sent(claimed, "late")
    row = outbox_rows(engine)[mid]
    assert (row.status, row.attempts, row.claimed_by, row.provider_id) == \
        ("sent", 2, "alive", "inbox")


def test_a_channel_that_keeps_failing_ends_in_dead_letter_visible_to_staff(
        engine, clock, http_receiver):
    gateway = http_receiver(lambda req: json_answer(503, {"error": "maintenance"}))
    with engine.begin() as conn:
        mid = enqueue(conn, dedupe_key="sms:1", channel="sms", to="+84901234567",
                      account_id="acc-1", person_id="child-1", now=clock(), **CERT)
        enqueue(conn, dedupe_key="inbox:1", channel="inbox", to=None, now=clock(), **CERT)
    worker = Worker(engine, {"sms": SmsChannel(HttpSmsGateway(gateway.url)),
                             "inbox": InboxChannel()}, clock=clock, max_attempts=3)
    assert worker.run_once() == 2
    row = outbox_rows(engine)[mid]
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "gateway answered 503")
    # Full jitter within the first step's ceiling (30 s): not due again at once.
    assert clock() <= row.next_attempt_at <= clock() + timedelta(seconds=30)
    for _ in range(2):
        clock.advance(hours=3)  # past the backoff cap
        assert worker.run_once() == 1
    assert len(gateway.requests) == 3
    with engine.connect() as conn:
        stats = delivery_stats(conn)
    assert stats.counts == {"sms": {"dead": 1}, "inbox": {"sent": 1}}
    assert stats.total("dead") == 1
    [dead] = stats.dead
    assert (dead.id, dead.attempts, dead.last_error, dead.person_id) == \
        (mid, 3, "gateway answered 503", "child-1")
    clock.advance(hours=3)
    assert worker.run_once() == 0  # dead stays dead


def test_a_permanent_failure_is_dead_at_once(engine, clock, http_receiver):
    gateway = http_receiver(lambda req: json_answer(400, {"error": "not a phone number"}))
    with engine.begin() as conn:
        mid = enqueue(conn, dedupe_key="sms:2", channel="sms", to="+8400", now=clock(), **CERT)
    worker = Worker(engine, {"sms": SmsChannel(HttpSmsGateway(gateway.url))}, clock=clock)
    assert worker.run_once() == 1
    row = outbox_rows(engine)[mid]
    assert (row.status, row.attempts, row.last_error) == ("dead", 1, "gateway answered 400")


def test_sms_gateway_gets_the_outbox_id_as_idempotency_key(engine, clock, http_receiver):
    gateway = http_receiver(lambda req: json_answer(200, {"id": "gw-1"}))
    with engine.begin() as conn:
        mid = enqueue(conn, dedupe_key="sms:3", channel="sms", to="+84901234567", now=clock(),
                      template="appointment_2h", lang="en",
                      params={"person_name": "An", "site_name": "Ba Đình", "time": "08:30"})
    Worker(engine, {"sms": SmsChannel(HttpSmsGateway(gateway.url, "tok"))}, clock=clock).run_once()
    [req] = gateway.requests
    assert req.headers["idempotency-key"] == mid
    assert req.headers["authorization"] == "Bearer tok"
    assert req.json() == {"to": "+84901234567", "client_ref": mid,
                          "text": "Vaccination appointment soon: An has a vaccination "
                                  "appointment at 08:30 today at Ba Đình."}
    assert outbox_rows(engine)[mid].provider_id == "gw-1"


def test_only_configured_channels_are_claimed(engine, clock):
    with engine.begin() as conn:
        mid = enqueue(conn, dedupe_key="mail", channel="email", to="an@example.vn",
                      now=clock(), **CERT)
    assert Worker(engine, {"inbox": InboxChannel()}, clock=clock).run_once() == 0
    assert outbox_rows(engine)[mid].status == "pending"


def test_the_due_index_exists(engine):
    names = {ix["name"] for ix in sa.inspect(engine).get_indexes("outbox_message")}
    assert "ix_outbox_message_due" in names


class CountingProvider:
    """A LOCAL STAND-IN for a provider: counts what it is given, by outbox id."""

    def __init__(self) -> None:
        import collections
        import threading

        self.received = collections.Counter()
        self.lock = threading.Lock()

    def send(self, message) -> str:
        with self.lock:
            self.received[message.id] += 1
        return "ok"


def test_two_workers_in_threads_never_send_the_same_message(engine, clock):
    import threading

    with engine.begin() as conn:
        ids = {enqueue(conn, dedupe_key=f"k{i}", channel="sms", to="+84901234567",
                       now=clock(), **CERT) for i in range(200)}
    provider = CountingProvider()

    def drain(name):
        worker = Worker(engine, {"sms": provider}, clock=clock, batch=7, worker_id=name)
        while worker.run_once():
            pass

    threads = [threading.Thread(target=drain, args=(f"w{i}",)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert set(provider.received) == ids
    assert max(provider.received.values()) == 1
    assert {r.status for r in outbox_rows(engine).values()} == {"sent"}
