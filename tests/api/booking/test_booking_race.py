"""The capacity invariant under concurrency, on SQLite and PostgreSQL alike.

Each thread has its own Flask test client and its own signed-in citizen; a barrier releases
them together. The database decides: the conditional UPDATE of the slot, the UNIQUE partial
index on active bookings, and the status change that gives a seat back.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from api.booking.models import Booking, Slot
from api.db import db
from tests.api.booking.conftest import count, key, make_citizen, open_session, registration, seats

CLIENTS, SEATS = 64, 50


def _race(fn, items):
    barrier = threading.Barrier(len(items))

    def run(item):
        barrier.wait()
        return fn(item)

    with ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(run, items))


def _snapshot(app):
    with app.app_context(), db.reads().begin() as s:
        return {
            "bookings": sorted(s.execute(sa.select(Booking.id, Booking.person_id, Booking.status)).all()),
            "slots": sorted(s.execute(sa.select(Slot.id, Slot.booked)).all()),
        }


def test_64_clients_race_for_50_seats_and_exactly_50_win(app):
    _, (slot,) = open_session(app, capacity=SEATS)
    clients = [make_citizen(app, name=f"Người {i:02d}") for i in range(CLIENTS)]
    for c in clients:
        registration(app, c.person_id)
    before = _snapshot(app)

    answers = _race(lambda c: c.post("/bookings", {"person_id": c.person_id, "slot_id": slot}, headers=key()),
                    clients)

    codes = [r.status_code for r in answers]
    assert codes.count(201) == SEATS and codes.count(409) == CLIENTS - SEATS, sorted(codes)
    for r in answers:
        if r.status_code == 409:
            assert r.mimetype == "application/problem+json"
            assert r.json["type"] == "/problems/slot-full" and r.json["slot_id"] == slot
    after = _snapshot(app)
    assert seats(app, slot) == SEATS and count(app, Booking, slot_id=slot) == SEATS
    winners = {r.json["person_id"] for r in answers if r.status_code == 201}
    assert {b.person_id for b in after["bookings"]} == winners
    # Nothing else changed: every other slot is as it was, and no loser has a row anywhere.
    assert [s for s in after["slots"] if s.id != slot] == [s for s in before["slots"] if s.id != slot]
    assert len(after["bookings"]) == len(before["bookings"]) + SEATS


def test_one_person_racing_for_two_slots_holds_one_booking(app):
    c = make_citizen(app)
    registration(app, c.person_id)
    _, slots = open_session(app, capacity=16, hourly=True)  # 3 hourly slots
    attempts = [(slots[i % len(slots)], key()) for i in range(8)]
    answers = _race(lambda a: c.post("/bookings", {"person_id": c.person_id, "slot_id": a[0]}, headers=a[1]),
                    attempts)
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] + [409] * 7, codes
    assert all(r.json["type"] == "/problems/already-booked" for r in answers if r.status_code == 409)
    assert sum(seats(app, s) for s in slots) == 1 and count(app, Booking) == 1


def test_a_cancelled_seat_comes_back_exactly_once(app):
    c = make_citizen(app)
    registration(app, c.person_id)
    _, (slot,) = open_session(app, capacity=5)
    booking = c.post("/bookings", {"person_id": c.person_id, "slot_id": slot}, headers=key()).json
    assert seats(app, slot) == 1
    answers = _race(lambda _: c.post(f"/bookings/{booking['id']}/cancel", {}), list(range(12)))
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] + [409] * 11, codes
    assert seats(app, slot) == 0
