"""The department dashboard: every figure equals a count made straight from the record tables.

A random mix through the real services (the HTTP API, as the PWA calls it): registrations,
approvals, rejections, allocations, cancellations and registering again; sessions opened; bookings,
confirmations, moves and cancellations; check-ins with a booking and as walk-ins, screenings, doses;
missed and unconfirmed bookings released by the job; paper-card doses backfilled and approved by a
second person; corrections (void, another day) asked by the citizen and approved by the department;
write-offs and a quarantined lot. The aggregates are refreshed between days, and then every figure of
GET /stats/dashboard — the funnel, each session's fill and no-shows, stock and days of supply per lot
and unit, overdue people, doses — is compared for several scopes and date ranges with plain SQL over
registration, registration_event, booking, slot, vaccination_session, stock_movement, lot,
dose_record, dose_rule and person. Then a month later (no record changed), the overdue people again.
"""
from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa

from api.auth import service as auth
from api.auth.guard import CSRF_COOKIE, SESSION_COOKIE
from api.catalog import rules as engine
from api.catalog import service as catalog
from api.db import UTCDateTime, db
from api.stats import service as stats
from api.vaccination.models import COUNTED
from api.vaccination.stock import LOCAL
from tests.api.conftest import ApiClient
from tests.api.test_vaccination_support import (TODAY, check_in, citizen_of, give, person, png_b64, screen, staff,
                                                unit_id)

# site → the product of its sessions (the demo's sessions there are of the same product)
SITES = {"HN-HK": ("pfizer-biontech", 1), "HN-BD": ("astrazeneca", 1), "HCM-SG": ("moderna", 79)}
LOT_PREFIX = {"pfizer-biontech": "FP", "astrazeneca": "AZ", "moderna": "MD"}
IN_SEATS = ("booked", "confirmed", "attended", "missed")
CNT = ", ".join(f"'{s}'" for s in COUNTED)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=LOCAL).astimezone(timezone.utc)


def key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


class Mix:
    """The people, staff and what the test knows of their registrations and bookings."""

    def __init__(self, app, clock, rng: random.Random, people: int):
        self.app, self.clock, self.rng = app, clock, rng
        self.units = {c: unit_id(app, c) for c in ("VN", "P01", "P79", "HN-HK", "HN-BD", "HCM-SG", "HCM-BT")}
        self.dept = {1: staff(app, "department_staff", "P01"), 79: staff(app, "department_staff", "P79")}
        self.site = {c: staff(app, "site_staff", c) for c in SITES}
        self.people = []
        for i in range(people):
            dob = date(rng.randrange(1950, 2004), rng.randrange(1, 13), rng.randrange(1, 28))
            p = person(app, name=f"Cư dân {i}", dob=dob, sex=rng.choice("MF"), province=rng.choice((1, 1, 79)))
            p["province"], p["client"] = self._province(p["id"]), citizen_of(app, p["id"])
            self.people.append(p)
        self.regs: dict[str, tuple[str, int]] = {}  # person → (live registration, its province)
        self.bookings: dict[str, dict] = {}  # person → active booking
        self.doses: list[tuple[dict, str]] = []  # (person, dose id) recorded at a site
        self.sessions: list[dict] = []

    def _province(self, person_id: str) -> int:
        from api.people.models import Person

        with self.app.app_context(), db.reads().begin() as s:
            return s.get(Person, person_id).province_code

    def tick(self) -> None:
        self.clock.advance(seconds=3)  # one user action after another: no two at the same instant

    def lot(self, site_code: str, product: str) -> str:
        from api.vaccination.models import Lot

        with self.app.app_context(), db.reads().begin() as s:
            return s.scalar(sa.select(Lot.id).filter_by(
                lot_number=f"{LOT_PREFIX[product]}{SITES[site_code][1]:02d}001"))

    def backfill_history(self, n: int) -> None:
        """Paper-card first doses 25-95 days ago, approved by the department (the second person)."""
        for p in self.rng.sample(self.people, n):
            site = "HN-HK" if p["province"] == 1 else "HCM-SG"
            product = self.rng.choice(("pfizer-biontech", "astrazeneca"))
            on = TODAY - timedelta(days=self.rng.randrange(25, 95))
            self.tick()
            r = self.site[site].post("/dose-backfills", {"person_id": p["id"], "product_code": product,
                                                         "administered_on": on.isoformat(),
                                                         "unit_id": self.units[site]})
            assert r.status_code == 201, r.json
            assert self.dept[p["province"]].post(f"/doses/{r.json['id']}/approve", {"note": "thẻ giấy"}).status_code == 200

    def open_sessions(self, day: date) -> None:
        for code, (product, _) in SITES.items():
            self.tick()
            r = self.site[code].post("/vaccination-sessions", {
                "site_id": self.units[code], "product_code": product, "day": day.isoformat(),
                "start_time": "13:00", "end_time": "16:30", "capacity": self.rng.randrange(4, 8),
                "hourly_slots": self.rng.random() < 0.5})
            assert r.status_code == 201, r.json
            self.sessions.append(r.json | {"site_code": code})

    def register(self, p: dict, share: float) -> None:
        if p["id"] in self.regs or self.rng.random() > share:
            return
        prov = p["province"] if self.rng.random() < 0.85 else (79 if p["province"] == 1 else 1)
        self.tick()
        r = p["client"].post("/registrations", {"person_id": p["id"], "preferred_province_code": prov,
                                                "priority_group": self.rng.choice(("age_65_plus", "workers"))})
        assert r.status_code == 201, r.json
        self.regs[p["id"]] = (r.json["id"], prov)

    def decide_and_allocate(self) -> None:
        for prov, dept in self.dept.items():
            mine = [rid for rid, pv in self.regs.values() if pv == prov]
            approve = [rid for rid in mine if self.rng.random() < 0.7]
            reject = [rid for rid in mine if rid not in approve and self.rng.random() < 0.3]
            if approve:
                self.tick()
                assert dept.post("/registration-decisions", {"registration_ids": approve,
                                                             "decision": "approve"}).status_code == 200
            if reject:
                self.tick()
                done = dept.post("/registration-decisions", {"registration_ids": reject, "decision": "reject",
                                                             "reason": "Chưa đến lượt"}).json["done"]
                self.regs = {pid: v for pid, v in self.regs.items() if v[0] not in done}
            sites = [c for c, (_, pv) in SITES.items() if pv == prov] + (["HCM-BT"] if prov == 79 else [])
            for rid in approve:
                if self.rng.random() < 0.5:
                    self.tick()
                    r = dept.post("/registration-allocations", {"registration_ids": [rid],
                                                                "unit_id": self.units[self.rng.choice(sites)]})
                    assert r.status_code == 200, r.json

    def cancel_some_registrations(self) -> None:
        for pid, (rid, _) in list(self.regs.items()):
            if self.rng.random() < 0.08:
                p = next(x for x in self.people if x["id"] == pid)
                self.tick()
                assert p["client"].post(f"/registrations/{rid}/cancel", {"reason": "đổi ý"}).status_code == 200
                del self.regs[pid]
                self.bookings.pop(pid, None)  # cancelling the registration cancels its booking
                self.register(p, 0.5)

    def book(self, p: dict, today: date) -> None:
        if p["id"] not in self.regs or p["id"] in self.bookings or self.rng.random() > 0.6:
            return
        prov = self.regs[p["id"]][1]
        open_ = [s for s in self.sessions if s["day"] >= today.isoformat() and SITES[s["site_code"]][1] == prov]
        if not open_:
            return
        s = self.rng.choice(open_)
        self.tick()
        r = p["client"].post("/bookings", {"person_id": p["id"], "slot_id": self.rng.choice(s["slots"])["id"]},
                             headers=key())
        if r.status_code == 201:
            self.bookings[p["id"]] = r.json | {"site_code": s["site_code"]}

    def change_some_bookings(self, today: date) -> None:
        for pid, b in list(self.bookings.items()):
            c = next(x for x in self.people if x["id"] == pid)["client"]
            roll = self.rng.random()
            self.tick()
            if roll < 0.12:
                assert c.post(f"/bookings/{b['id']}/cancel", {"reason": "bận"}).status_code == 200
                del self.bookings[pid]
            elif roll < 0.2:
                others = [s for s in self.sessions if s["site_code"] == b["site_code"] and s["id"] != b["session_id"]
                          and s["day"] >= today.isoformat()]
                if others:
                    r = c.post(f"/bookings/{b['id']}/reschedule",
                               {"slot_id": self.rng.choice(self.rng.choice(others)["slots"])["id"]})
                    if r.status_code == 200:
                        self.bookings[pid] = r.json | {"site_code": b["site_code"]}
            elif b["status"] == "booked" and roll < 0.6:
                assert c.post(f"/bookings/{b['id']}/confirm").status_code == 200

    def vaccinate(self, p: dict, code: str) -> None:
        staff_ = self.site[code]
        self.tick()
        r = check_in(staff_, p, code)
        if r.status_code not in (200, 201):
            return  # a walk-in not allowed (no seat, out of scope, not eligible): nothing happened
        self.tick()
        assert screen(staff_, r.json["id"]).status_code == 201
        self.tick()
        d = give(staff_, r.json["id"], self.lot(code, SITES[code][0]))
        if d.status_code == 201:
            self.doses.append((p, d.json["id"]))
            self.bookings.pop(p["id"], None)

    def session_day(self, today: date) -> None:
        """13:30: the booked come (most of them), a few walk in; a vial breaks now and then."""
        self.clock.at = at(today, 13, 30)
        came = set()
        for pid, b in list(self.bookings.items()):
            if b["day"] == today.isoformat() and self.rng.random() < 0.75:
                came.add(pid)
                self.vaccinate(next(x for x in self.people if x["id"] == pid), b["site_code"])
        for code in SITES:
            for p in self.rng.sample(self.people, 2):
                if p["id"] not in self.bookings and p["id"] not in came:
                    came.add(p["id"])
                    self.vaccinate(p, code)
            if self.rng.random() < 0.5:
                self.tick()
                assert self.site[code].post("/stock/write-offs", {
                    "unit_id": self.units[code], "lot_id": self.lot(code, SITES[code][0]),
                    "quantity": self.rng.randrange(1, 3), "kind": "waste", "reason": "vỡ lọ"}).status_code == 201

    def release(self) -> None:
        """The scheduler's job: missed and unconfirmed bookings end; forget those."""
        out = self.app.test_cli_runner().invoke(args=["booking", "release-expired"]).output
        assert "expired" in out, out
        for pid, b in list(self.bookings.items()):
            c = next(x for x in self.people if x["id"] == pid)["client"]
            if c.get(f"/bookings/{b['id']}").json["status"] not in ("booked", "confirmed"):
                del self.bookings[pid]

    def correct_some(self, k: int) -> None:
        """Citizens ask to void a dose or move it a day back; their department approves."""
        for p, dose_id in self.rng.sample(self.doses, min(k, len(self.doses))):
            changes = ({"void": True} if self.rng.random() < 0.5 else
                       {"administered_on": (TODAY + timedelta(days=self.rng.randrange(-3, 0))).isoformat()})
            self.tick()
            r = p["client"].post(f"/people/{p['id']}/corrections", {
                "kind": "dose", "dose_record_id": dose_id, "changes": changes, "reason": "Sai thông tin",
                "evidence_base64": [png_b64()]})
            if r.status_code != 201:
                continue  # already voided by an earlier pick
            self.tick()
            assert self.dept[p["province"]].post(f"/corrections/{r.json['id']}/approve", {}).status_code == 200
            self.doses.remove((p, dose_id))

    def refresh(self) -> None:
        with self.app.app_context(), db.sessions().begin() as s:
            stats.refresh_stats(s, self.clock())


# ---------------------------------------------------------------- the direct counts (plain SQL)

def _scope_sql(prov_col: str, unit_col: str, scope: stats.Scope) -> str:
    return "1 = 1" if scope.national else f"({prov_col} IN :provs OR {unit_col} IN :units)"


def _sql(s, text: str, **params):
    stmt = sa.text(text)
    binds = {"provs": sa.bindparam("provs", expanding=True, type_=sa.Integer),
             "units": sa.bindparam("units", expanding=True, type_=sa.String),
             "start": sa.bindparam("start", type_=UTCDateTime), "end": sa.bindparam("end", type_=UTCDateTime),
             "week_from": sa.bindparam("week_from", type_=sa.Date),
             "since": sa.bindparam("since", type_=sa.Date), "until": sa.bindparam("until", type_=sa.Date),
             "today": sa.bindparam("today", type_=sa.Date)}
    stmt = stmt.bindparams(*[b for name, b in binds.items() if f":{name}" in text])
    return s.execute(stmt, params)


def direct(app, scope: stats.Scope, since: date, until: date, now: datetime) -> dict:
    today = now.astimezone(LOCAL).date()
    p = {"provs": sorted(scope.provinces or []), "units": sorted(scope.units), "since": since, "until": until,
         "start": datetime.combine(since, time(0), tzinfo=LOCAL),
         "end": datetime.combine(until + timedelta(days=1), time(0), tzinfo=LOCAL),
         "today": today, "week_from": today - timedelta(days=7)}
    out = {}
    with app.app_context(), db.reads().begin() as s:
        dialect = s.get_bind().dialect.name
        # the funnel: registrations made in the range; a booking or a dose counts while the
        # registration was live (created, and not yet cancelled or rejected)
        regs = (f"FROM registration r WHERE {_scope_sql('r.preferred_province_code', 'r.allocated_unit_id', scope)} "
                "AND r.created_at >= :start AND r.created_at < :end")
        ended = ("LEFT JOIN (SELECT registration_id, min(at) AS ended FROM registration_event "
                 "WHERE status IN ('cancelled', 'rejected') GROUP BY registration_id) x ON x.registration_id = r.id")
        f = {"registered": _sql(s, f"SELECT count(*) {regs}", **p).scalar()}
        for stage in ("approved", "allocated"):
            f[stage] = _sql(s, f"SELECT count(DISTINCT r.id) {regs.replace('WHERE', 'JOIN registration_event e ON e.registration_id = r.id WHERE', 1)} AND e.status = '{stage}'", **p).scalar()  # noqa: E501
        f["booked"] = _sql(s, f"""SELECT count(DISTINCT r.id) {regs.replace('WHERE', f'''
            JOIN booking b ON b.person_id = r.person_id AND b.disease = r.disease AND b.created_at >= r.created_at
            {ended} WHERE''', 1)} AND (x.ended IS NULL OR b.created_at < x.ended)""", **p).scalar()
        f["vaccinated"] = _sql(s, f"""SELECT count(DISTINCT r.id) {regs.replace('WHERE', f'''
            JOIN dose_record d ON d.person_id = r.person_id AND d.disease = r.disease
                 AND d.status IN ({CNT}) AND d.administered_at >= r.created_at
            {ended} WHERE''', 1)} AND (x.ended IS NULL OR d.administered_at < x.ended)""", **p).scalar()
        out["funnel"] = f

        # sessions: seats, places taken (kept or missed), attended, missed
        out["sessions"] = {}
        for r in _sql(s, f"""
                SELECT vs.id, (SELECT sum(sl.capacity) FROM slot sl WHERE sl.session_id = vs.id) AS capacity,
                       (SELECT sum(sl.booked) FROM slot sl WHERE sl.session_id = vs.id) AS seats_held,
                       (SELECT count(*) FROM booking b WHERE b.session_id = vs.id
                        AND b.status IN ({', '.join(f"'{x}'" for x in IN_SEATS)})) AS taken,
                       (SELECT count(*) FROM booking b WHERE b.session_id = vs.id AND b.status = 'attended') AS attended,
                       (SELECT count(*) FROM booking b WHERE b.session_id = vs.id AND b.status = 'missed') AS missed
                FROM vaccination_session vs JOIN org_unit u ON u.id = vs.site_id
                WHERE {_scope_sql('u.province_code', 'u.id', scope)} AND vs.day >= :since AND vs.day <= :until""", **p):
            assert r.taken - r.missed == r.seats_held  # the booking ledger and the slots agree
            out["sessions"][r.id] = {
                "capacity": r.capacity, "booked": r.taken, "attended": r.attended, "no_shows": r.missed,
                "fill_rate": round(r.taken / r.capacity, 4),
                "no_show_rate": round(r.missed / (r.attended + r.missed), 4) if r.attended + r.missed else None}

        # stock from the ledger (not from stock_balance), the pace from the doses given at the site in
        # the last 7 full days: per unit and lot, and per unit and product
        w = 7
        used = {(r.unit_id, r.lot_id): r.n for r in _sql(s, f"""
                SELECT d.unit_id, d.lot_id, count(*) AS n FROM dose_record d JOIN org_unit u ON u.id = d.unit_id
                WHERE d.status IN ({CNT}) AND d.source = 'site' AND d.lot_id IS NOT NULL
                  AND d.administered_on >= :week_from AND d.administered_on < :today
                  AND {_scope_sql('u.province_code', 'u.id', scope)}
                GROUP BY d.unit_id, d.lot_id""", **p)}
        out["stock"], supply = {}, {}
        for r in _sql(s, f"""
                SELECT m.unit_id, m.lot_id, l.product_code, l.expires_on, l.quarantined_at, sum(m.quantity) AS balance
                FROM stock_movement m JOIN org_unit u ON u.id = m.unit_id JOIN lot l ON l.id = m.lot_id
                WHERE {_scope_sql('u.province_code', 'u.id', scope)}
                GROUP BY m.unit_id, m.lot_id, l.product_code, l.expires_on, l.quarantined_at""", **p):
            expires = r.expires_on if isinstance(r.expires_on, date) else date.fromisoformat(r.expires_on)
            usable = r.quarantined_at is None and expires >= today
            n = used.pop((r.unit_id, r.lot_id), 0)
            if r.balance > 0:
                out["stock"][(r.unit_id, r.lot_id)] = {
                    "balance": r.balance, "usable": usable, "used_per_day": round(n / w, 2),
                    "days_of_supply": round(r.balance / (n / w), 1) if usable and n else None}
            if r.balance > 0 or n > 0:
                cell = supply.setdefault((r.unit_id, r.product_code), [0, 0])
                cell[0] += r.balance if usable else 0
                cell[1] += n
        assert not used  # every dose given at a site came from a lot in its ledger
        out["supply"] = {k: {"usable_balance": b, "used_per_day": round(u / w, 2),
                             "days_of_supply": round(b / (u / w), 1) if u else None} for k, (b, u) in supply.items()}

        # people past the date their next dose was recommended by: the course's last dose (by day,
        # then dose number), the next dose key, the rule version in force today for the person's
        # province (a province's own rule before the national one), last dose + its maximum interval
        due = ("n.last_on + n.max_days" if dialect == "postgresql"
               else "date(n.last_on, '+' || n.max_days || ' days')")
        if scope.national:
            who = "1 = 1"
        elif scope.provinces:
            who = "(n.province_code IN :provs OR (n.last_unit IN :units AND n.province_code NOT IN :provs))"
        else:
            who = "n.last_unit IN :units"
        out["overdue"] = dict(_sql(s, f"""
            WITH c AS (
              SELECT d.person_id, d.product_code, d.dose_number, d.administered_on, d.unit_id,
                     CASE WHEN d.dose_number >= coalesce(vp.doses_in_primary_series, 2) THEN 1 ELSE 0 END AS completes
              FROM dose_record d JOIN vaccine_product vp ON vp.code = d.product_code
              WHERE d.status IN ({CNT})),
            last AS (
              SELECT c.* FROM c WHERE NOT EXISTS (
                SELECT 1 FROM c c2 WHERE c2.person_id = c.person_id AND (c2.administered_on > c.administered_on
                  OR (c2.administered_on = c.administered_on AND c2.dose_number > c.dose_number)))),
            course AS (SELECT person_id, max(dose_number) AS top, max(completes) AS done FROM c GROUP BY person_id),
            nxt AS (
              SELECT l.person_id, l.product_code, l.administered_on AS last_on, l.unit_id AS last_unit,
                     pe.province_code,
                     CASE WHEN k.done = 1 THEN 'booster' ELSE CAST(k.top + 1 AS VARCHAR(8)) END AS dose_key
              FROM last l JOIN course k ON k.person_id = l.person_id JOIN person pe ON pe.id = l.person_id),
            n AS (
              SELECT nxt.*, (
                SELECT r.max_interval_days FROM dose_rule r JOIN vaccine_product p ON p.id = r.product_id
                WHERE p.code = nxt.product_code AND r.dose = nxt.dose_key AND r.unit_id IS NULL
                  AND (r.province_code IS NULL OR r.province_code = nxt.province_code)
                  AND r.effective_from <= :today AND (r.effective_to IS NULL OR r.effective_to > :today)
                ORDER BY CASE WHEN r.province_code IS NULL THEN 1 ELSE 0 END LIMIT 1) AS max_days
              FROM nxt)
            SELECT n.product_code, count(*) FROM n
            WHERE n.max_days IS NOT NULL AND {due} < :today AND {who}
            GROUP BY n.product_code""", **p).all())

        # doses given in the range, by the site's province (a site's scope: the site)
        where = ("1 = 1" if scope.national else "d.province_code IN :provs" if scope.provinces
                 else "d.unit_id IN :units")
        out["doses"] = _sql(s, f"SELECT count(*) FROM dose_record d WHERE d.status IN ({CNT}) AND {where} "
                               "AND d.administered_on >= :since AND d.administered_on <= :until", **p).scalar()
    return out


def _rules_are_plain(app) -> None:
    """What the SQL above leaves out, checked: the rule set has no age ceiling, no version starting
    later, every product may follow itself, and every product is an active COVID-19 vaccine."""
    with app.app_context(), db.reads().begin() as s:
        rules = catalog.load_rule_set(s)
    assert all(r.max_age_days is None and r.effective_from <= TODAY for r in rules.rules)
    assert all(r.allowed_previous is None or r.product in r.allowed_previous for r in rules.rules)
    assert all(p.active and p.disease == engine.COVID19 for p in rules.products.values())


def check(app, client, scope: stats.Scope, since: date, until: date, now: datetime, unit: str | None = None) -> dict:
    q = f"/stats/dashboard?from={since}&to={until}" + (f"&unit_id={unit}" if unit else "")
    r = client.get(q)
    assert r.status_code == 200, r.json
    body, want = r.json, direct(app, scope, since, until, now)
    assert body["funnel"] == want["funnel"]
    assert {x["session_id"]: {k: x[k] for k in ("capacity", "booked", "attended", "no_shows", "fill_rate",
                                                 "no_show_rate")} for x in body["sessions"]} == want["sessions"]
    assert {(x["unit_id"], x["lot_id"]): {k: x[k] for k in ("balance", "usable", "used_per_day", "days_of_supply")}
            for x in body["stock"]} == want["stock"]
    assert {(x["unit_id"], x["product_code"]): {k: x[k] for k in ("usable_balance", "used_per_day", "days_of_supply")}
            for x in body["supply"]} == want["supply"]
    assert body["overdue"] == {"total": sum(want["overdue"].values()), "by_product": dict(sorted(want["overdue"].items()))}
    assert body["doses"]["total"] == want["doses"]
    return body


def signed_in_again(app, client, now: datetime):
    """A new passkey session for the same staff account, opened at `now`."""
    with app.app_context(), db.sessions().begin() as s:
        token, row = auth.open_session(s, account_id=client.account_id, via="passkey", user_agent="pytest", now=now,
                                       days=1)
    c = ApiClient(app)
    c.http.set_cookie(SESSION_COOKIE, token)
    c.http.set_cookie(CSRF_COOKIE, row.csrf_token)
    c.csrf, c.account_id = row.csrf_token, client.account_id
    return c


def test_every_dashboard_figure_equals_a_direct_count_after_a_random_mix(app, clock):
    rng = random.Random(80)
    _rules_are_plain(app)
    mix = Mix(app, clock, rng, people=50)
    mix.backfill_history(12)
    days = [TODAY + timedelta(days=i) for i in range(3)]
    for day in days:
        mix.open_sessions(day)
    for i, day in enumerate(days):
        clock.at = at(day, 8, 0)
        for p in mix.people:
            mix.register(p, 0.45)
        mix.decide_and_allocate()
        mix.cancel_some_registrations()
        for p in mix.people:
            mix.book(p, day)
        mix.change_some_bookings(day)
        if i == 1:
            mix.tick()  # a lot stopped for a safety signal: its doses are no supply
            assert mix.dept[1].post(f"/stock/lots/{mix.lot('HN-HK', 'moderna')}/quarantine",
                                    {"reason": "tín hiệu an toàn"}).status_code == 200
        mix.session_day(day)
        mix.refresh()  # incremental refreshes between the days
        clock.at = at(day + timedelta(days=1), 7, 0)
        mix.release()
        mix.correct_some(2)
    mix.refresh()

    nat = staff(app, "national_admin", "VN")
    hk = mix.site["HN-HK"]
    now, end = clock(), days[-1] + timedelta(days=1)
    scopes = [(nat, stats.Scope(None), None), (mix.dept[1], stats.Scope(frozenset({1})), None),
              (mix.dept[79], stats.Scope(frozenset({79})), None),
              (hk, stats.Scope(frozenset(), frozenset({mix.units["HN-HK"]})), None),
              (mix.dept[1], stats.Scope(frozenset(), frozenset({mix.units["HN-BD"]})), mix.units["HN-BD"])]
    seen = []
    for client, scope, unit in scopes:
        for since in (TODAY - timedelta(days=100), days[1]):
            seen.append(check(app, client, scope, since, end, now, unit))
    # the mix reached every figure (a comparison of zeros with zeros proves little)
    national = seen[0]
    assert all(national["funnel"][k] > 0 for k in stats.FUNNEL), national["funnel"]
    assert any(x["no_shows"] for x in national["sessions"]) and any(x["attended"] for x in national["sessions"])
    assert any(x["days_of_supply"] for x in national["supply"]) and any(not x["usable"] for x in national["stock"])
    assert national["overdue"]["total"] > 0 and national["doses"]["total"] > 0
    assert seen[2]["funnel"] != seen[4]["funnel"]  # Hà Nội and TP.HCM differ

    # 40 days on, nothing recorded meanwhile: the first doses of the mix are overdue now, and the
    # week's pace is gone from the days of supply (new staff sign-ins: the old sessions have expired)
    clock.at = at(TODAY + timedelta(days=40), 9, 0)
    mix.refresh()
    later = [check(app, signed_in_again(app, client, clock()), scope, TODAY - timedelta(days=100), end, clock(), unit)
             for client, scope, unit in scopes]
    assert later[0]["overdue"]["total"] > national["overdue"]["total"]
    assert all(x["days_of_supply"] is None for x in later[0]["supply"])
