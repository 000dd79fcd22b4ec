"""The vaccine stock ledger: receive, transfer, administer, waste, expire, adjust. No Flask here.

Every change of a balance is one conditional UPDATE of `stock_balance` and one INSERT into the
append-only `stock_movement`, in the same transaction. Taking doses out is
`UPDATE … SET balance = balance - n WHERE … AND balance >= n`: the WHERE clause is the check, so
two tablets racing for the last dose cannot both win, and the CHECK (balance >= 0) catches any
code path that forgets it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from api.auth.service import Principal
from api.catalog import service as catalog
from api.catalog.models import OrgUnit, VaccineProduct
from api.catalog.problems import UnitOutOfScope
from api.db import new_id
from api.problems import NotFound, ValidationFailed
from api.vaccination.models import (Lot, StockAdjustment, StockBalance, StockMovement,
                                    StockTransfer)
from api.vaccination.problems import (AdjustmentState, LotExpired, LotMismatch, LotNotAtSite,
                                      LotQuarantined, OutOfStock, SecondPersonRequired,
                                      StoreRequired, TransferState)

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
STAFF = ("site_staff", "department_staff", "national_admin")
STORE_STAFF = ("department_staff", "national_admin")
EXPIRING_SOON_DAYS = 30
RATE_WINDOW = timedelta(days=7)

balance_t = StockBalance.__table__
movement_t = StockMovement.__table__


def local_date(now: datetime) -> date:
    return now.astimezone(LOCAL).date()


def invalid(field: str, en: str, vi: str) -> ValidationFailed:
    return ValidationFailed(en, detail_vi=vi, errors={field: [en]}, errors_vi={field: [vi]})


# ---------------------------------------------------------------- scope and look-ups

def unit_in_scope(principal: Principal, path: str, roles: tuple[str, ...] = STAFF) -> bool:
    return catalog.path_in_scope(path, catalog.scope_paths(principal, roles))


def check_unit(session: so.Session, principal: Principal, unit_id: str,
               roles: tuple[str, ...] = STAFF) -> OrgUnit:
    """:raises NotFound, UnitOutOfScope:"""
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        raise NotFound("No such unit.", detail_vi="Không có đơn vị này.", unit_id=unit_id)
    if not unit_in_scope(principal, unit.path, roles):
        raise UnitOutOfScope()
    return unit


def get_lot(session: so.Session, lot_id: str) -> Lot:
    lot = session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("No such lot.", detail_vi="Không có lô vắc xin này.", lot_id=lot_id)
    return lot


def check_usable(lot_expires_on: date, quarantined_at: datetime | None, *, on: date, lot_id: str) -> None:
    """:raises LotQuarantined, LotExpired:"""
    if quarantined_at is not None:
        raise LotQuarantined(f"Lot {lot_id} is quarantined.", detail_vi="Lô vắc xin đang bị tạm dừng sử dụng.",
                             lot_id=lot_id)
    if lot_expires_on < on:
        raise LotExpired(f"The lot expired on {lot_expires_on}.",
                         detail_vi=f"Lô vắc xin đã hết hạn ngày {lot_expires_on:%d/%m/%Y}.",
                         lot_id=lot_id, expires_on=lot_expires_on.isoformat())


# ---------------------------------------------------------------- the one way balances move

def _add(session: so.Session, unit_id: str, lot_id: str, n: int, now: datetime) -> None:
    """balance += n, creating the row the first time (an upsert: two first receipts may race)."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(balance_t)
    session.execute(insert.values(unit_id=unit_id, lot_id=lot_id, balance=n, updated_at=now)
                    .on_conflict_do_update(index_elements=["unit_id", "lot_id"],
                                           set_={"balance": balance_t.c.balance + n, "updated_at": now}))


def take(session: so.Session, unit_id: str, lot_id: str, n: int, now: datetime) -> bool:
    """balance -= n only if at least n are there; False (nothing changed) otherwise."""
    return session.execute(
        sa.update(balance_t).where(balance_t.c.unit_id == unit_id, balance_t.c.lot_id == lot_id,
                                   balance_t.c.balance >= n)
        .values(balance=balance_t.c.balance - n, updated_at=now)).rowcount == 1


def ledger(session: so.Session, *, unit_id: str, lot_id: str, kind: str, quantity: int, now: datetime,
           actor: str | None, reason: str = "", transfer_id: str | None = None,
           adjustment_id: str | None = None, dose_record_id: str | None = None,
           approved_by: str | None = None) -> None:
    session.execute(sa.insert(movement_t).values(
        id=new_id(), at=now, unit_id=unit_id, lot_id=lot_id, kind=kind, quantity=quantity, reason=reason,
        transfer_id=transfer_id, adjustment_id=adjustment_id, dose_record_id=dose_record_id,
        actor_account_id=actor, approved_by=approved_by))


def _short(session: so.Session, unit_id: str, lot_id: str, wanted: int) -> Exception:
    have = session.scalar(sa.select(balance_t.c.balance).where(balance_t.c.unit_id == unit_id,
                                                               balance_t.c.lot_id == lot_id))
    if have is None:
        return LotNotAtSite("This lot is not in this unit's stock.", detail_vi="Lô này không có trong kho của đơn vị.",
                            lot_id=lot_id, unit_id=unit_id)
    return OutOfStock(f"Only {have} doses of this lot are in stock; {wanted} needed.",
                      detail_vi=f"Trong kho chỉ còn {have} liều của lô này; cần {wanted}.",
                      lot_id=lot_id, unit_id=unit_id, available=have)


def move(session: so.Session, *, unit_id: str, lot_id: str, kind: str, quantity: int, now: datetime,
         actor: str | None, **ledger_fields) -> None:
    """Change a balance by a signed quantity and write its ledger row.

    :raises OutOfStock, LotNotAtSite: taking more than is there (nothing changes).
    """
    if quantity > 0:
        _add(session, unit_id, lot_id, quantity, now)
    elif not take(session, unit_id, lot_id, -quantity, now):
        raise _short(session, unit_id, lot_id, -quantity)
    ledger(session, unit_id=unit_id, lot_id=lot_id, kind=kind, quantity=quantity, now=now, actor=actor,
           **ledger_fields)


# ---------------------------------------------------------------- receive, transfer, write off

def receive_lot(sessions: so.sessionmaker, principal: Principal, *, unit_id: str, product_code: str,
                lot_number: str, expires_on: date, manufacturer: str, quantity: int, now: datetime) -> dict:
    """Receive doses of a lot at a province (or national) store; the lot is created the first time.

    :raises NotFound, UnitOutOfScope, StoreRequired, ProductUnknown, LotMismatch, ValidationFailed:
    """
    if quantity <= 0:
        raise invalid("quantity", "Must be at least 1.", "Phải ít nhất là 1.")
    if expires_on < local_date(now):
        raise invalid("expires_on", "This lot has expired already.", "Lô này đã hết hạn.")
    with sessions.begin() as session:
        unit = check_unit(session, principal, unit_id, STORE_STAFF)
        if unit.kind not in ("province", "national"):
            raise StoreRequired()
        catalog.product_by_code(session, product_code)
        lot = session.scalar(sa.select(Lot).filter_by(product_code=product_code, lot_number=lot_number))
        if lot is None:
            lot = Lot(product_code=product_code, lot_number=lot_number, expires_on=expires_on,
                      manufacturer=manufacturer, received_doses=0, created_by=principal.account_id,
                      created_at=now)
            session.add(lot)
            session.flush()
        elif lot.expires_on != expires_on or lot.manufacturer != manufacturer:
            raise LotMismatch(f"Lot {lot_number} is recorded with expiry {lot.expires_on} by {lot.manufacturer}.",
                              detail_vi=f"Lô {lot_number} đã có với hạn dùng {lot.expires_on:%d/%m/%Y}, "
                                        f"nhà sản xuất {lot.manufacturer}.", lot_id=lot.id)
        session.execute(sa.update(Lot).where(Lot.id == lot.id)
                        .values(received_doses=Lot.received_doses + quantity))
        move(session, unit_id=unit.id, lot_id=lot.id, kind="receive", quantity=quantity, now=now,
             actor=principal.account_id)
        session.refresh(lot)
        return lot_view(lot, now=now)


def _transfer_allowed(src: OrgUnit, dst: OrgUnit) -> bool:
    # Down the tree (store → centre → site), or back up the same branch (returns).
    return src.id != dst.id and (dst.path.startswith(src.path) or src.path.startswith(dst.path))


def ship(sessions: so.sessionmaker, principal: Principal, *, lot_id: str, from_unit_id: str,
         to_unit_id: str, quantity: int, note: str = "", now: datetime) -> dict:
    """Send doses down the tree (or back up it); they are in transit until the receiver counts them.

    :raises NotFound, UnitOutOfScope, ValidationFailed, LotExpired, LotQuarantined, OutOfStock, LotNotAtSite:
    """
    if quantity <= 0:
        raise invalid("quantity", "Must be at least 1.", "Phải ít nhất là 1.")
    with sessions.begin() as session:
        src = check_unit(session, principal, from_unit_id)
        dst = session.get(OrgUnit, to_unit_id)
        if dst is None:
            raise NotFound("No such destination unit.", detail_vi="Không có đơn vị nhận này.")
        if not _transfer_allowed(src, dst):
            raise invalid("to_unit_id", "Stock moves down the tree, or back up the same branch.",
                          "Vắc xin chỉ được chuyển xuống đơn vị cấp dưới hoặc trả về đơn vị cấp trên.")
        lot = get_lot(session, lot_id)
        if dst.path.startswith(src.path):  # a return up the tree may carry an unusable lot back
            check_usable(lot.expires_on, lot.quarantined_at, on=local_date(now), lot_id=lot.id)
        transfer = StockTransfer(id=new_id(), lot_id=lot.id, from_unit_id=src.id, to_unit_id=dst.id,
                                 quantity_sent=quantity, status="in_transit", note=note,
                                 shipped_by=principal.account_id, shipped_at=now)
        session.add(transfer)
        session.flush()
        move(session, unit_id=src.id, lot_id=lot.id, kind="transfer_out", quantity=-quantity, now=now,
             actor=principal.account_id, transfer_id=transfer.id, reason=note)
        return transfer_view(transfer, lot, src, dst)


def receive_transfer(sessions: so.sessionmaker, principal: Principal, transfer_id: str, *,
                     quantity_received: int, discrepancy_note: str = "", now: datetime) -> dict:
    """The receiver counts what arrived; a shortfall needs a note and stays on the transfer.

    :raises NotFound, UnitOutOfScope, TransferState, ValidationFailed:
    """
    with sessions.begin() as session:
        transfer = session.get(StockTransfer, transfer_id)
        if transfer is None:
            raise NotFound("No such transfer.", detail_vi="Không có phiếu chuyển kho này.")
        dst = check_unit(session, principal, transfer.to_unit_id)
        if not 0 <= quantity_received <= transfer.quantity_sent:
            raise invalid("quantity_received", f"Between 0 and {transfer.quantity_sent} (what was sent).",
                          f"Từ 0 đến {transfer.quantity_sent} (số đã gửi).")
        if quantity_received < transfer.quantity_sent and not discrepancy_note.strip():
            raise invalid("discrepancy_note", "Say what happened to the missing doses.",
                          "Hãy ghi rõ lý do thiếu liều.")
        # The WHERE clause makes receiving happen once, whoever presses the button twice.
        done = session.execute(sa.update(StockTransfer).where(
            StockTransfer.id == transfer_id, StockTransfer.status == "in_transit").values(
            status="received", quantity_received=quantity_received, discrepancy_note=discrepancy_note.strip(),
            received_by=principal.account_id, received_at=now)).rowcount
        if not done:
            raise TransferState(transfer_status=transfer.status)
        if quantity_received:
            move(session, unit_id=dst.id, lot_id=transfer.lot_id, kind="transfer_in", quantity=quantity_received,
                 now=now, actor=principal.account_id, transfer_id=transfer.id,
                 reason=discrepancy_note.strip())
        session.expire_all()
        transfer = session.get_one(StockTransfer, transfer_id)
        return transfer_view(transfer, session.get_one(Lot, transfer.lot_id),
                             session.get_one(OrgUnit, transfer.from_unit_id), dst)


def write_off(sessions: so.sessionmaker, principal: Principal, *, unit_id: str, lot_id: str, quantity: int,
              kind: str, reason: str, now: datetime) -> dict:
    """Doses wasted (a broken vial, an opened vial at the end of the day) or expired, with a reason.

    :raises NotFound, UnitOutOfScope, ValidationFailed, OutOfStock, LotNotAtSite:
    """
    if kind not in ("waste", "expire"):
        raise invalid("kind", "waste or expire.", "waste hoặc expire.")
    if quantity <= 0:
        raise invalid("quantity", "Must be at least 1.", "Phải ít nhất là 1.")
    if kind == "waste" and len(reason.strip()) < 3:
        raise invalid("reason", "Say why the doses were wasted.", "Hãy ghi lý do hủy liều.")
    with sessions.begin() as session:
        unit = check_unit(session, principal, unit_id)
        lot = get_lot(session, lot_id)
        if kind == "expire" and lot.expires_on >= local_date(now):
            raise invalid("kind", f"The lot is usable until {lot.expires_on}.",
                          f"Lô còn hạn đến {lot.expires_on:%d/%m/%Y}.")
        move(session, unit_id=unit.id, lot_id=lot.id, kind=kind, quantity=-quantity, now=now,
             actor=principal.account_id, reason=reason.strip() or "expired")
        return balance_view(session, unit, lot, now=now)


# ---------------------------------------------------------------- adjustments (four eyes)

def request_adjustment(sessions: so.sessionmaker, principal: Principal, *, unit_id: str, lot_id: str,
                       delta: int, reason: str, now: datetime) -> dict:
    """Ask to correct a count; nothing moves until a second person approves.

    :raises NotFound, UnitOutOfScope, ValidationFailed:
    """
    if delta == 0:
        raise invalid("delta", "Must not be zero.", "Không được bằng 0.")
    if len(reason.strip()) < 3:
        raise invalid("reason", "An adjustment needs a reason.", "Điều chỉnh cần có lý do.")
    with sessions.begin() as session:
        check_unit(session, principal, unit_id)
        get_lot(session, lot_id)
        adj = StockAdjustment(id=new_id(), unit_id=unit_id, lot_id=lot_id, delta=delta, reason=reason.strip(),
                              status="pending", requested_by=principal.account_id, requested_at=now)
        session.add(adj)
        session.flush()
        return adjustment_view(adj)


def decide_adjustment(sessions: so.sessionmaker, principal: Principal, adjustment_id: str, *, approve: bool,
                      note: str = "", now: datetime) -> dict:
    """A second person approves (the balance moves) or rejects an adjustment.

    :raises NotFound, UnitOutOfScope, SecondPersonRequired, AdjustmentState, OutOfStock:
    """
    with sessions.begin() as session:
        adj = session.get(StockAdjustment, adjustment_id)
        if adj is None:
            raise NotFound("No such adjustment.", detail_vi="Không có điều chỉnh này.")
        check_unit(session, principal, adj.unit_id)
        if adj.requested_by == principal.account_id:
            raise SecondPersonRequired("You asked for this adjustment; another person must decide.",
                                       detail_vi="Bạn đã đề nghị điều chỉnh này; cần người khác phê duyệt.")
        status = "approved" if approve else "rejected"
        done = session.execute(sa.update(StockAdjustment).where(
            StockAdjustment.id == adjustment_id, StockAdjustment.status == "pending").values(
            status=status, decided_by=principal.account_id, decided_at=now, decision_note=note)).rowcount
        if not done:
            raise AdjustmentState(adjustment_status=adj.status)
        if approve:
            move(session, unit_id=adj.unit_id, lot_id=adj.lot_id, kind="adjust", quantity=adj.delta, now=now,
                 actor=adj.requested_by, approved_by=principal.account_id, adjustment_id=adj.id,
                 reason=adj.reason)
        session.expire_all()
        return adjustment_view(session.get_one(StockAdjustment, adjustment_id))


def list_adjustments(sessions: so.sessionmaker, principal: Principal, *, unit_id: str,
                     status: str | None = None) -> list[dict]:
    with sessions.begin() as session:
        unit = check_unit(session, principal, unit_id)
        q = (sa.select(StockAdjustment).join(OrgUnit, OrgUnit.id == StockAdjustment.unit_id)
             .where(OrgUnit.path.startswith(unit.path)).order_by(StockAdjustment.requested_at.desc()))
        if status:
            q = q.where(StockAdjustment.status == status)
        return [adjustment_view(a) for a in session.scalars(q.limit(500))]


# ---------------------------------------------------------------- quarantine

def quarantine_lot(session: so.Session, lot_id: str, *, reason: str, by: str | None, now: datetime) -> bool:
    """Stop a lot everywhere (a safety signal): no site can administer or ship it down from now.

    For the reactions service too, inside its own transaction. False when it was quarantined already.
    """
    return session.execute(sa.update(Lot).where(Lot.id == lot_id, Lot.quarantined_at.is_(None)).values(
        quarantined_at=now, quarantine_reason=reason, quarantined_by=by)).rowcount == 1


def release_lot(session: so.Session, lot_id: str) -> bool:
    return session.execute(sa.update(Lot).where(Lot.id == lot_id, Lot.quarantined_at.is_not(None)).values(
        quarantined_at=None, quarantine_reason="", quarantined_by=None)).rowcount == 1


def set_quarantine(sessions: so.sessionmaker, principal: Principal, lot_id: str, *, quarantined: bool,
                   reason: str, now: datetime) -> dict:
    """:raises NotFound, ValidationFailed:"""
    if quarantined and len(reason.strip()) < 3:
        raise invalid("reason", "Say why the lot is stopped.", "Hãy ghi lý do tạm dừng lô.")
    with sessions.begin() as session:
        get_lot(session, lot_id)
        if quarantined:
            quarantine_lot(session, lot_id, reason=reason.strip(), by=principal.account_id, now=now)
        else:
            release_lot(session, lot_id)
        session.expire_all()
        return lot_view(session.get_one(Lot, lot_id), now=now)


# ---------------------------------------------------------------- reads

def lot_view(lot: Lot, *, now: datetime) -> dict:
    today = local_date(now)
    return {"id": lot.id, "product_code": lot.product_code, "lot_number": lot.lot_number,
            "expires_on": lot.expires_on, "manufacturer": lot.manufacturer,
            "received_doses": lot.received_doses, "expired": lot.expires_on < today,
            "quarantined": lot.quarantined_at is not None, "quarantined_at": lot.quarantined_at,
            "quarantine_reason": lot.quarantine_reason}


def _unit_ref(unit: OrgUnit) -> dict:
    return {"id": unit.id, "code": unit.code, "name": unit.name, "kind": unit.kind}


def transfer_view(t: StockTransfer, lot: Lot, src: OrgUnit, dst: OrgUnit) -> dict:
    return {"id": t.id, "lot_id": lot.id, "product_code": lot.product_code, "lot_number": lot.lot_number,
            "from_unit": _unit_ref(src), "to_unit": _unit_ref(dst), "quantity_sent": t.quantity_sent,
            "quantity_received": t.quantity_received,
            "discrepancy": (t.quantity_sent - t.quantity_received) if t.quantity_received is not None else None,
            "discrepancy_note": t.discrepancy_note, "status": t.status, "note": t.note,
            "shipped_by": t.shipped_by, "shipped_at": t.shipped_at, "received_by": t.received_by,
            "received_at": t.received_at}


def adjustment_view(a: StockAdjustment) -> dict:
    return {c: getattr(a, c) for c in ("id", "unit_id", "lot_id", "delta", "reason", "status", "requested_by",
                                       "requested_at", "decided_by", "decided_at", "decision_note")}


def balance_view(session: so.Session, unit: OrgUnit, lot: Lot, *, now: datetime) -> dict:
    bal = session.scalar(sa.select(balance_t.c.balance).where(balance_t.c.unit_id == unit.id,
                                                              balance_t.c.lot_id == lot.id)) or 0
    return {"unit": _unit_ref(unit), "lot": lot_view(lot, now=now), "balance": bal}


def list_transfers(sessions: so.sessionmaker, principal: Principal, *, unit_id: str,
                   status: str | None = None) -> list[dict]:
    """Transfers into or out of a unit (and the units below it)."""
    src, dst = so.aliased(OrgUnit), so.aliased(OrgUnit)
    with sessions.begin() as session:
        unit = check_unit(session, principal, unit_id)
        q = (sa.select(StockTransfer, Lot, src, dst).join(Lot, Lot.id == StockTransfer.lot_id)
             .join(src, src.id == StockTransfer.from_unit_id).join(dst, dst.id == StockTransfer.to_unit_id)
             .where(sa.or_(src.path.startswith(unit.path), dst.path.startswith(unit.path)))
             .order_by(StockTransfer.shipped_at.desc()))
        if status:
            q = q.where(StockTransfer.status == status)
        return [transfer_view(*row) for row in session.execute(q.limit(500))]


def list_movements(sessions: so.sessionmaker, principal: Principal, *, unit_id: str, lot_id: str | None = None,
                   limit: int = 200) -> list[dict]:
    with sessions.begin() as session:
        check_unit(session, principal, unit_id)
        q = (sa.select(StockMovement, Lot.product_code, Lot.lot_number).join(Lot, Lot.id == StockMovement.lot_id)
             .where(StockMovement.unit_id == unit_id)
             .order_by(StockMovement.at.desc(), StockMovement.id).limit(limit))
        if lot_id:
            q = q.where(StockMovement.lot_id == lot_id)
        return [{"id": m.id, "at": m.at, "unit_id": m.unit_id, "lot_id": m.lot_id, "product_code": code,
                 "lot_number": number, "kind": m.kind, "quantity": m.quantity, "reason": m.reason,
                 "transfer_id": m.transfer_id, "adjustment_id": m.adjustment_id,
                 "dose_record_id": m.dose_record_id, "actor_account_id": m.actor_account_id,
                 "approved_by": m.approved_by} for m, code, number in session.execute(q)]


def unit_stock(sessions: so.sessionmaker, principal: Principal, unit_id: str, *, subtree: bool = False,
               expiring_within_days: int = EXPIRING_SOON_DAYS, now: datetime) -> dict:
    """A unit's stock per lot, days of supply per product and lots expiring soon.

    Days of supply = usable doses (not expired, not quarantined) / the average daily number given
    in the last 7 days; None when nothing was given. With `subtree`, the unit and every unit below.
    :raises NotFound, UnitOutOfScope:
    """
    today = local_date(now)
    soon = today + timedelta(days=expiring_within_days)
    with sessions.begin() as session:
        unit = check_unit(session, principal, unit_id)
        where_unit = (OrgUnit.path.startswith(unit.path) if subtree else OrgUnit.id == unit.id)
        rows = session.execute(
            sa.select(Lot, sa.func.sum(balance_t.c.balance).label("balance"))
            .join(balance_t, balance_t.c.lot_id == Lot.id).join(OrgUnit, OrgUnit.id == balance_t.c.unit_id)
            .where(where_unit).group_by(Lot.id).having(sa.func.sum(balance_t.c.balance) > 0)
            .order_by(Lot.product_code, Lot.expires_on)).all()
        given = dict(session.execute(
            sa.select(Lot.product_code, -sa.func.sum(movement_t.c.quantity))
            .join(Lot, Lot.id == movement_t.c.lot_id).join(OrgUnit, OrgUnit.id == movement_t.c.unit_id)
            .where(where_unit, movement_t.c.kind == "administer", movement_t.c.at >= now - RATE_WINDOW)
            .group_by(Lot.product_code)).all())
        in_transit = session.execute(
            sa.select(StockTransfer, Lot).join(Lot, Lot.id == StockTransfer.lot_id)
            .join(OrgUnit, OrgUnit.id == StockTransfer.to_unit_id)
            .where(where_unit, StockTransfer.status == "in_transit")).all()
        names = dict(session.execute(sa.select(VaccineProduct.code, VaccineProduct.name_vi)).all())
    lots, products = [], {}
    for lot, bal in rows:
        view = lot_view(lot, now=now)
        usable = not view["expired"] and not view["quarantined"]
        view.update(balance=bal, usable=usable, expiring_soon=usable and lot.expires_on <= soon)
        lots.append(view)
        p = products.setdefault(lot.product_code, {"product_code": lot.product_code,
                                                   "product_name": names.get(lot.product_code, ""),
                                                   "balance": 0, "usable_balance": 0})
        p["balance"] += bal
        p["usable_balance"] += bal if usable else 0
    for code, n in given.items():
        products.setdefault(code, {"product_code": code, "product_name": names.get(code, ""),
                                   "balance": 0, "usable_balance": 0})
    for code, p in products.items():
        n = int(given.get(code) or 0)
        rate = n / RATE_WINDOW.days
        p.update(administered_last_7_days=n, daily_rate=round(rate, 2),
                 days_of_supply=round(p["usable_balance"] / rate, 1) if rate else None)
    return {"unit": _unit_ref(unit), "subtree": subtree, "as_of": now, "lots": lots,
            "products": sorted(products.values(), key=lambda p: p["product_code"]),
            "expiring_soon": [lot for lot in lots if lot["expiring_soon"]],
            "in_transit": [{"transfer_id": t.id, "lot_id": lot.id, "product_code": lot.product_code,
                            "lot_number": lot.lot_number, "quantity": t.quantity_sent, "shipped_at": t.shipped_at}
                           for t, lot in in_transit]}


def lot_detail(sessions: so.sessionmaker, principal: Principal, lot_id: str, *, now: datetime) -> dict:
    """A lot and where its doses are (the units within the caller's scope)."""
    paths = catalog.scope_paths(principal, STAFF)
    with sessions.begin() as session:
        lot = get_lot(session, lot_id)
        rows = session.execute(
            sa.select(OrgUnit, balance_t.c.balance).join(balance_t, balance_t.c.unit_id == OrgUnit.id)
            .where(balance_t.c.lot_id == lot_id, balance_t.c.balance > 0).order_by(OrgUnit.path)).all()
        view = lot_view(lot, now=now)
    view["holdings"] = [{"unit": _unit_ref(u), "balance": b} for u, b in rows if catalog.path_in_scope(u.path, paths)]
    return view
