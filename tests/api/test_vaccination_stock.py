"""The stock ledger: receive, transfer with discrepancies, write-offs, four-eyes adjustments,
quarantine, days of supply; the balance never below zero and the ledger never rewritten."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
import sqlalchemy.exc as sa_exc

from api.db import db
from api.vaccination.models import StockMovement, StockTransfer
from api.vaccination.stock import ledger, take
from tests.api.test_auth import problem
from tests.api.test_vaccination_support import (TODAY, balance, count, ledger_sum, lot, snapshot, staff,
                                                unit_id)
from tests.conftest import FIXED_NOW


def receipt(**kw):
    body = {"product_code": "pfizer-biontech", "lot_number": "FK1234", "expires_on": str(TODAY + timedelta(days=200)),
            "manufacturer": "BioNTech Manufacturing GmbH", "quantity": 1000}
    body.update(kw)
    return body


def test_receive_ship_and_receive_with_a_discrepancy(app):
    dept = staff(app, "department_staff", "P01")
    site = staff(app, "site_staff", "HN-HK")
    store, hk = unit_id(app, "P01"), unit_id(app, "HN-HK")
    r = dept.post("/stock/receipts", receipt(unit_id=store))
    assert r.status_code == 201, r.json
    lot_id = r.json["id"]
    # a second shipment of the same lot adds up; other details for the same number are a conflict
    assert dept.post("/stock/receipts", receipt(unit_id=store, quantity=500)).json["received_doses"] == 1500
    problem(dept.post("/stock/receipts", receipt(unit_id=store, manufacturer="Someone else")), 409, "lot-mismatch")

    r = dept.post("/stock/transfers", {"lot_id": lot_id, "from_unit_id": store, "to_unit_id": hk, "quantity": 300})
    assert r.status_code == 201 and r.json["status"] == "in_transit"
    transfer = r.json["id"]
    assert balance(app, "P01", lot_id) == 1200 and balance(app, "HN-HK", lot_id) is None
    assert site.get(f"/units/{hk}/stock").json["in_transit"][0]["quantity"] == 300

    problem(site.post(f"/stock/transfers/{transfer}/receive", {"quantity_received": 290}), 422)  # no note
    r = site.post(f"/stock/transfers/{transfer}/receive",
                  {"quantity_received": 290, "discrepancy_note": "10 doses: a broken tray"})
    assert r.status_code == 200 and r.json["discrepancy"] == 10 and r.json["status"] == "received"
    problem(site.post(f"/stock/transfers/{transfer}/receive", {"quantity_received": 290,
                                                                "discrepancy_note": "again"}), 409, "transfer-state")
    assert balance(app, "HN-HK", lot_id) == 290
    for code in ("P01", "HN-HK"):  # the ledger explains every balance
        assert ledger_sum(app, code, lot_id) == balance(app, code, lot_id)
    kinds = [m["kind"] for m in site.get(f"/units/{hk}/stock-movements").json if m["lot_id"] == lot_id]
    assert kinds == ["transfer_in"]
    # lots are received at province stores, by department staff of that province
    problem(dept.post("/stock/receipts", receipt(unit_id=unit_id(app, "HN-HK"))), 422, "store-required")
    problem(site.post("/stock/receipts", receipt(unit_id=unit_id(app, "P01"))), 403, "forbidden")
    problem(dept.post("/stock/receipts", receipt(unit_id=unit_id(app, "P79"))), 403, "unit-out-of-scope")
    expired = receipt(unit_id=unit_id(app, "P01"), expires_on=str(TODAY - timedelta(days=1)))
    problem(dept.post("/stock/receipts", expired), 422)


def test_shipping_or_writing_off_more_than_is_there_changes_nothing(app):
    dept = staff(app, "department_staff", "P01")
    lot_id = lot(app, "HN-HK", doses=5)
    before = snapshot(app)
    body = {"lot_id": lot_id, "from_unit_id": unit_id(app, "HN-HK"), "to_unit_id": unit_id(app, "P01"), "quantity": 6}
    assert problem(dept.post("/stock/transfers", body), 409, "out-of-stock")["available"] == 5
    problem(dept.post("/stock/transfers", body | {"from_unit_id": unit_id(app, "HN-BD"), "quantity": 1}), 409,
            "lot-not-at-site")
    # sideways, between two sites, is not a transfer down or back up the tree
    problem(dept.post("/stock/transfers", body | {"to_unit_id": unit_id(app, "HN-BD"), "quantity": 1}), 422)
    assert snapshot(app) == before and count(app, StockTransfer, lot_id=lot_id) == 1
    # write-offs need a reason; 'expire' needs an expired lot
    a = staff(app, "site_staff", "HN-HK")
    old = lot(app, "HN-HK", doses=4, expires_on=TODAY - timedelta(days=1))
    hk = unit_id(app, "HN-HK")
    problem(a.post("/stock/write-offs", {"unit_id": hk, "lot_id": lot_id, "quantity": 1, "kind": "waste"}), 422)
    r = a.post("/stock/write-offs", {"unit_id": hk, "lot_id": lot_id, "quantity": 2, "kind": "waste",
                                     "reason": "vial dropped"})
    assert r.status_code == 201 and r.json["balance"] == 3
    problem(a.post("/stock/write-offs", {"unit_id": hk, "lot_id": lot_id, "quantity": 1, "kind": "expire"}), 422)
    assert a.post("/stock/write-offs", {"unit_id": hk, "lot_id": old, "quantity": 4, "kind": "expire"}).json["balance"] == 0


def test_adjustments_need_a_reason_and_a_second_person(app):
    a = staff(app, "site_staff", "HN-HK")
    b = staff(app, "department_staff", "P01")
    other = staff(app, "site_staff", "HCM-SG")
    lot_id = lot(app, "HN-HK", doses=10)
    hk = unit_id(app, "HN-HK")
    problem(a.post("/stock/adjustments", {"unit_id": hk, "lot_id": lot_id, "delta": -2, "reason": ""}), 422)
    adj = a.post("/stock/adjustments", {"unit_id": hk, "lot_id": lot_id, "delta": -2,
                                        "reason": "stock-take: 8 vials counted"}).json
    assert adj["status"] == "pending" and balance(app, "HN-HK", lot_id) == 10
    problem(a.post(f"/stock/adjustments/{adj['id']}/approve", {}), 403, "second-person-required")
    problem(other.post(f"/stock/adjustments/{adj['id']}/approve", {}), 403, "unit-out-of-scope")
    r = b.post(f"/stock/adjustments/{adj['id']}/approve", {"note": "checked"})
    assert r.status_code == 200 and r.json["status"] == "approved" and r.json["decided_by"] == b.account_id
    assert balance(app, "HN-HK", lot_id) == 8 == ledger_sum(app, "HN-HK", lot_id)
    problem(b.post(f"/stock/adjustments/{adj['id']}/approve", {}), 409, "adjustment-state")
    # an adjustment that would go below zero is refused and stays pending
    big = a.post("/stock/adjustments", {"unit_id": hk, "lot_id": lot_id, "delta": -9, "reason": "miscounted"}).json
    problem(b.post(f"/stock/adjustments/{big['id']}/approve", {}), 409, "out-of-stock")
    pending = b.get(f"/stock/adjustments?unit_id={hk}&status=pending").json
    assert [x["id"] for x in pending] == [big["id"]] and balance(app, "HN-HK", lot_id) == 8


def test_unit_stock_days_of_supply_and_expiring_lots(app):
    a = staff(app, "site_staff", "HN-HK")
    dept = staff(app, "department_staff", "P01")
    soon = lot(app, "HN-HK", doses=110, expires_on=TODAY + timedelta(days=10))
    hk = unit_id(app, "HN-HK")
    with app.app_context(), db.sessions().begin() as s:  # 70 doses given over the last week
        for day in range(7):
            assert take(s, hk, soon, 10, FIXED_NOW)
            ledger(s, unit_id=hk, lot_id=soon, kind="administer", quantity=-10,
                   now=FIXED_NOW - timedelta(days=day, hours=1), actor=None)
    view = a.get(f"/units/{hk}/stock").json
    pfizer = next(p for p in view["products"] if p["product_code"] == "pfizer-biontech")
    assert pfizer["administered_last_7_days"] == 70 and pfizer["daily_rate"] == 10.0
    assert pfizer["usable_balance"] == 300 + 40 and pfizer["days_of_supply"] == 34.0  # the demo lot and ours
    assert [x["id"] for x in view["expiring_soon"]] == [soon]
    # the department sees its whole province (store and sites) with ?subtree
    tree = dept.get(f"/units/{unit_id(app, 'P01')}/stock?subtree=true").json
    assert next(p for p in tree["products"] if p["product_code"] == "pfizer-biontech")["administered_last_7_days"] == 70
    problem(a.get(f"/units/{unit_id(app, 'HN-BD')}/stock"), 403, "unit-out-of-scope")


def test_quarantine_stops_a_lot_everywhere(app):
    dept = staff(app, "department_staff", "P01")
    admin = staff(app, "national_admin", "VN")
    a = staff(app, "site_staff", "HN-HK")
    lot_id = lot(app, "HN-HK", doses=10)
    problem(a.post(f"/stock/lots/{lot_id}/quarantine", {"reason": "signal"}), 403, "forbidden")
    r = dept.post(f"/stock/lots/{lot_id}/quarantine", {"reason": "3 serious reactions reported"})
    assert r.status_code == 200 and r.json["quarantined"] is True
    body = {"lot_id": lot_id, "from_unit_id": unit_id(app, "P01-TTYT"), "to_unit_id": unit_id(app, "HN-HK"),
            "quantity": 1}
    problem(dept.post("/stock/transfers", body), 409, "lot-quarantined")
    # sending it back up the tree is allowed (the site returns quarantined stock)
    back = {"lot_id": lot_id, "from_unit_id": unit_id(app, "HN-HK"), "to_unit_id": unit_id(app, "P01"), "quantity": 10}
    assert a.post("/stock/transfers", back).status_code == 201
    problem(dept.post(f"/stock/lots/{lot_id}/release", {}), 403, "forbidden")
    assert admin.post(f"/stock/lots/{lot_id}/release", {}).json["quarantined"] is False


def test_the_database_refuses_a_negative_balance_and_a_rewritten_ledger_and_writers_never_overdraw(app):
    lot_id = lot(app, "HN-HK", doses=1)
    hk = unit_id(app, "HN-HK")
    with app.app_context():
        with pytest.raises(sa_exc.IntegrityError):
            with db.sessions().begin() as s:
                s.execute(sa.text("UPDATE stock_balance SET balance = -1 WHERE unit_id = :u AND lot_id = :l"),
                          {"u": hk, "l": lot_id})
        for statement in ("UPDATE stock_movement SET quantity = 5", "DELETE FROM stock_movement"):
            with pytest.raises(sa_exc.DatabaseError):
                with db.sessions().begin() as s:
                    s.execute(sa.text(statement))
    assert count(app, StockMovement, lot_id=lot_id) == 3 and balance(app, "HN-HK", lot_id) == 1

    # eight writers take 3 doses each from a balance of 10: three succeed, the balance is 1
    lot_id = lot(app, "HN-HK", doses=10)
    barrier, results = threading.Barrier(8), []

    def worker():
        with app.app_context():
            barrier.wait()
            with db.sessions().begin() as s:
                results.append(take(s, hk, lot_id, 3, FIXED_NOW))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True] * 3 and balance(app, "HN-HK", lot_id) == 1
