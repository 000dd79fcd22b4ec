"""Safety figures: reports and serious reports per 100,000 doses; flagged lots; quarantine. No Flask.

Denominators come from `dose_record` (counted doses, status valid|corrected) with one GROUP BY
per dimension in SQL — product, lot, site, day (folded into ISO weeks here, because SQLite has no
ISO week) — joined to `org_unit` for the scope (one indexed prefix match on the path).
Numerators come from the document store: the reports whose dose was given in the period, a
dose counted once per group however many reports it has ("doses with a report"), so a rate
can never exceed 100,000.

Flag rule (a signal to look at, not a verdict): a lot is flagged when it has at least
FLAG_MIN_SERIOUS doses with a serious report AND its serious rate is more than FLAG_RATIO times
the serious rate of its product over the same period and scope.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.auth.service import Principal
from api.catalog import service as catalog
from api.catalog.models import OrgUnit, VaccineProduct
from api.catalog.problems import UnitOutOfScope
from api.notify.service import notify
from api.people.models import Person
from api.reactions import service as reactions
from api.reactions.service import REPORTS, iso, local_day_start, parse_iso
from api.vaccination import stock
from api.vaccination.models import COUNTED, DoseRecord, Lot, StockBalance
from api.vaccination.stock import local_date

PER = 100_000
FLAG_RATIO = 3
FLAG_MIN_SERIOUS = 3
MAX_REPORTS = 100_000


def iso_week(day: date) -> str:
    y, w, _ = day.isocalendar()
    return f"{y}-W{w:02d}"


def _rate(n: int, doses: int) -> float | None:
    return round(n * PER / doses, 1) if doses else None


def _scope_clause(principal: Principal):
    if principal.has("national_admin"):
        return sa.true()
    paths = catalog.scope_paths(principal, reactions.STAFF)
    return sa.or_(*(OrgUnit.path.startswith(p) for p in paths)) if paths else sa.false()


def dose_counts(session: so.Session, principal: Principal, *, date_from: date, date_to: date,
                product_code: str | None = None) -> dict[str, dict]:
    """Counted doses per product, lot, site and ISO week, within scope: four GROUP BYs."""
    base = [DoseRecord.status.in_(COUNTED), DoseRecord.administered_on >= date_from,
            DoseRecord.administered_on <= date_to, _scope_clause(principal)]
    if product_code:
        base.append(DoseRecord.product_code == product_code)

    def grouped(*cols):
        q = (sa.select(*cols, sa.func.count()).select_from(DoseRecord)
             .join(OrgUnit, OrgUnit.id == DoseRecord.unit_id).where(*base).group_by(*cols))
        return session.execute(q).all()

    out: dict[str, dict] = {"product": {}, "lot": {}, "site": {}, "week": defaultdict(int)}
    for code, n in grouped(DoseRecord.product_code):
        out["product"][code] = n
    for lot_id, code, number, n in grouped(DoseRecord.lot_id, DoseRecord.product_code, DoseRecord.lot_number):
        out["lot"][lot_id or f"paper:{code}:{number}"] = n
    for unit_id, n in grouped(DoseRecord.unit_id):
        out["site"][unit_id] = n
    for day, n in grouped(DoseRecord.administered_on):
        out["week"][iso_week(day if isinstance(day, date) else date.fromisoformat(str(day)))] += n
    out["week"] = dict(out["week"])
    return out


def _reports_where(date_from: date, date_to: date, sites: list[str] | None, product_code: str | None = None) -> dict:
    """The reports whose dose was given in the period, at one of `sites` (None: anywhere).
    A report is made after its dose: only those made since the period began are read (the store's
    index on the time of insert), not every report ever made."""
    where: dict = {"administered_at": {"$gte": iso(local_day_start(date_from)),
                                       "$lt": iso(local_day_start(date_to + timedelta(days=1)))},
                   "_created": {"$gte": local_day_start(date_from)}}
    if sites is not None:
        where["site_id"] = {"$in": sites or ["-"]}
    if product_code:
        where["product_code"] = product_code
    return where


def report_rates(store, *, sites: list[str] | None, date_from: date, date_to: date, doses: int) -> dict:
    """Doses with a report and with a serious report per 100,000 doses, over one scope and period.

    The caller counts the doses (the dashboard takes them from the statistics aggregates, never by
    scanning dose records); `sites` None means every site and paper-card doses too."""
    reported, serious = set(), set()
    for d in store.find(REPORTS, _reports_where(date_from, date_to, sites), limit=MAX_REPORTS):
        reported.add(d["dose_record_id"])
        if d.get("serious"):
            serious.add(d["dose_record_id"])
    return {"per": PER, "doses": doses, "reports": len(reported), "serious": len(serious),
            "report_rate": _rate(len(reported), doses), "serious_rate": _rate(len(serious), doses)}


def safety_figures(sessions: so.sessionmaker, store, principal: Principal, *, date_from: date, date_to: date,
                   product_code: str | None = None) -> dict:
    """Reports and serious reports per 100,000 doses by product, lot, site and week; flagged lots."""
    with sessions.begin() as session:
        doses = dose_counts(session, principal, date_from=date_from, date_to=date_to, product_code=product_code)
        sites = reactions.sites_in_scope(session, principal)
        lots = {lot.id: lot for lot in session.scalars(sa.select(Lot).where(Lot.id.in_(
            [k for k in doses["lot"] if not k.startswith("paper:")])))} if doses["lot"] else {}
        site_names = {u.id: u.name for u in session.scalars(sa.select(OrgUnit).where(
            OrgUnit.id.in_(list(doses["site"]))))} if doses["site"] else {}
        products = {p.code: p for p in session.scalars(sa.select(VaccineProduct))}
    docs = store.find(REPORTS, _reports_where(date_from, date_to, sites, product_code), limit=MAX_REPORTS)
    reported: dict[str, dict[str, set]] = {g: defaultdict(set) for g in ("product", "lot", "site", "week")}
    serious: dict[str, dict[str, set]] = {g: defaultdict(set) for g in ("product", "lot", "site", "week")}
    for d in docs:
        keys = {"product": d.get("product_code"),
                "lot": d.get("lot_id") or f"paper:{d.get('product_code')}:{d.get('lot_number')}",
                "site": d.get("site_id"), "week": iso_week(local_date(parse_iso(d["administered_at"])))}
        for g, k in keys.items():
            reported[g][k].add(d["dose_record_id"])
            if d.get("serious"):
                serious[g][k].add(d["dose_record_id"])

    def rows(group: str, label) -> list[dict]:
        out = []
        for key in sorted(set(doses[group]) | set(reported[group])):
            n, r, s = doses[group].get(key, 0), len(reported[group][key]), len(serious[group][key])
            out.append({"key": key, "label": label(key), "doses": n, "reports": r, "serious": s,
                        "report_rate": _rate(r, n), "serious_rate": _rate(s, n)})
        return out

    def product_label(code):
        p = products.get(code)
        return p.name_en if p else code

    by_product = rows("product", product_label)
    by_lot = rows("lot", lambda k: lots[k].lot_number if k in lots else k.rsplit(":", 1)[-1])
    product_rate = {r["key"]: r["serious_rate"] for r in by_product}
    for r in by_lot:
        lot = lots.get(r["key"])
        r["product_code"] = lot.product_code if lot else r["key"].split(":")[1]
        r["quarantined"] = bool(lot and lot.quarantined_at)
        base = product_rate.get(r["product_code"])
        r["flagged"] = bool(r["serious"] >= FLAG_MIN_SERIOUS and r["serious_rate"] is not None and base
                            and r["serious_rate"] > FLAG_RATIO * base) and lot is not None
    return {"date_from": date_from, "date_to": date_to, "per": PER,
            "flag_rule": {"min_serious": FLAG_MIN_SERIOUS, "ratio_to_product": FLAG_RATIO},
            "by_product": by_product, "by_lot": by_lot,
            "by_site": rows("site", lambda k: site_names.get(k, k or "")),
            "by_week": rows("week", lambda k: k)}


def quarantine_lot(sessions: so.sessionmaker, principal: Principal, lot_id: str, *, reason: str,
                   message_people: bool, now: datetime) -> dict:
    """Stop a lot everywhere (the stock ledger's quarantine), tell the sites holding it and,
    if asked, everyone who received it — one transaction, messages through the outbox.

    :raises NotFound, UnitOutOfScope, ValidationFailed:
    """
    if len(reason.strip()) < 3:
        raise reactions.invalid("reason", "Say why the lot is stopped.", "Hãy ghi lý do tạm dừng lô.")
    with sessions.begin() as session:
        lot = stock.get_lot(session, lot_id)
        if not principal.has("national_admin"):
            held = sa.select(StockBalance.unit_id).where(StockBalance.lot_id == lot_id)
            given = sa.select(DoseRecord.unit_id).where(DoseRecord.lot_id == lot_id)
            reach = session.scalar(sa.select(sa.func.count()).select_from(OrgUnit).where(
                OrgUnit.id.in_(held.union(given)), _scope_clause(principal)))
            if not reach:
                raise UnitOutOfScope("This lot was neither held nor given within your scope.",
                                     detail_vi="Lô này không có trong kho hay được tiêm trong phạm vi của bạn.")
        stock.quarantine_lot(session, lot_id, reason=reason.strip(), by=principal.account_id, now=now)
        product = session.scalar(sa.select(VaccineProduct).filter_by(code=lot.product_code))
        names = {"vi": product.name_vi if product else lot.product_code,
                 "en": product.name_en if product else lot.product_code}
        holders = list(session.scalars(sa.select(StockBalance.unit_id).where(
            StockBalance.lot_id == lot_id, StockBalance.balance > 0).order_by(StockBalance.unit_id)))
        accounts = reactions.staff_accounts(session, [(u, ("site_staff", "department_staff")) for u in holders])
        params = {
            "vi": {"title": f"Tạm dừng lô {lot.lot_number}",
                   "body": f"Lô {lot.lot_number} vắc xin {names['vi']} đã bị tạm dừng sử dụng: {reason.strip()}. "
                           "Không tiêm lô này; giữ nguyên trong kho chờ hướng dẫn."},
            "en": {"title": f"Lot {lot.lot_number} quarantined",
                   "body": f"Lot {lot.lot_number} of {names['en']} is quarantined: {reason.strip()}. "
                           "Do not administer it; keep it in stock until further notice."}}
        told = reactions.notify_staff(session, accounts, template="campaign_message", params_by_lang=params,
                                      dedupe_key=f"lot-quarantine:{lot_id}:staff", now=now)
        messaged = 0
        if message_people:
            rows = session.execute(sa.select(DoseRecord.person_id, sa.func.min(DoseRecord.administered_on))
                                   .where(DoseRecord.lot_id == lot_id, DoseRecord.status.in_(COUNTED))
                                   .group_by(DoseRecord.person_id).order_by(DoseRecord.person_id)).all()
            people_names = dict(session.execute(sa.select(Person.id, Person.full_name).where(
                Person.id.in_([p for p, _ in rows]))).all()) if rows else {}
            for person_id, first_on in rows:
                on = first_on if isinstance(first_on, date) else date.fromisoformat(str(first_on))
                if notify(session, person_id=person_id, template="lot_quarantined", urgent=True,
                          params={"person_name": people_names.get(person_id, ""), "vaccine": names["vi"],
                                  "lot": lot.lot_number, "dose_date": on.strftime("%d/%m/%Y"), "hotline": reactions.HOTLINE},
                          lang_params={"en": {"vaccine": names["en"], "dose_date": on.isoformat()}},
                          dedupe_key=f"lot-quarantine:{lot_id}:{person_id}", now=now):
                    messaged += 1
        session.flush()
        session.expire_all()
        view = stock.lot_view(session.get_one(Lot, lot_id), now=now)
        return {"lot": view, "holding_units": holders, "staff_messages": len(told), "people_messaged": messaged}
