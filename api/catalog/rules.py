"""The one dose-rules engine: which next dose of which product, from when, or why not.

Pure: no database, no Flask, no clock. Booking, screening, reminders and certificate status all
ask it, with the rule set the catalog loaded and the person's dose history.

Rules are versioned policy data. A `Rule` covers one (product, dose) pair — dose "1", "2", …
of the primary series, or "booster" for any dose after a complete primary series — in one
jurisdiction (national, a province, or an organisation unit and everything below it) from
`effective_from` until `effective_to` (exclusive; None = open). A change of policy is a new
row from its effective date; the old row is end-dated, never rewritten.

Which version applies? **The one in force on the date the dose would be given** (the date asked
about), not the one in force when the previous dose was given. A person who had AstraZeneca
dose 1 in Hà Nội on 1 Oct 2021 (8-12 weeks then) may have dose 2 on any date on which the rule
in force allows it: from 13 Nov 2021 the 4-week rule does, so `eligible_from` is 13 Nov 2021,
not 26 Nov. This is what the health authorities did in 2021 (the shorter interval applied to
everyone waiting for dose 2) and it keeps one answer per date: screening on the day, booking for
the session's date and a reminder for a future date all ask the same question. Rule versions
dated in the future are data like any other, so `eligible_from` already accounts for them.

When several rules are in force on a date, the most specific jurisdiction wins: an organisation
unit (the deepest one on the site's path) over a province, a province over the national rule.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable, Mapping

COVID19 = "840539006"  # SNOMED CT: COVID-19 (the EU DCC `tg` value set)
BOOSTER = "booster"

# Reasons a dose is not allowed on the date asked (stable codes: the API and the PWA use them)
PRODUCT_UNKNOWN = "product-unknown"
PRODUCT_INACTIVE = "product-inactive"
NO_RULE = "no-rule"                          # no rule covers this dose of this product here/then
PRODUCT_NOT_ALLOWED = "product-not-allowed"  # this product may not follow the previous dose
TOO_YOUNG = "too-young"
TOO_OLD = "too-old"
TOO_EARLY = "too-early"                      # the minimum interval since the previous dose
DISEASE_MISMATCH = "disease-mismatch"

REASONS = {
    PRODUCT_UNKNOWN: ("There is no vaccine product with this code.",
                      "Không có vắc xin với mã này."),
    PRODUCT_INACTIVE: ("This vaccine product is no longer in use.",
                       "Vắc xin này không còn được sử dụng."),
    NO_RULE: ("No dose rule allows this dose of this product here on this date.",
              "Không có quy định nào cho phép mũi tiêm này của vắc xin này tại đây vào ngày này."),
    PRODUCT_NOT_ALLOWED: ("This product may not follow the previous dose's product.",
                          "Vắc xin này không được tiêm sau loại vắc xin của mũi trước."),
    TOO_YOUNG: ("The person is too young for this dose.", "Người này chưa đủ tuổi cho mũi tiêm này."),
    TOO_OLD: ("The person is above the age limit for this dose.",
              "Người này đã quá giới hạn tuổi cho mũi tiêm này."),
    TOO_EARLY: ("Too early since the previous dose.", "Chưa đủ khoảng cách kể từ mũi trước."),
    DISEASE_MISMATCH: ("This product does not protect against that disease.",
                       "Vắc xin này không phòng bệnh đó."),
}


@dataclass(frozen=True)
class Product:
    code: str
    doses_in_primary_series: int
    disease: str = COVID19
    active: bool = True


@dataclass(frozen=True)
class Rule:
    """One version of the policy for one dose of one product in one jurisdiction."""

    product: str
    dose: str  # "1", "2", … or "booster"
    effective_from: date
    effective_to: date | None = None  # exclusive
    min_interval_days: int | None = None  # since the previous dose (any product of the disease)
    recommended_interval_days: int | None = None
    max_interval_days: int | None = None  # "recommended by": later is overdue, still allowed
    min_age_days: int | None = None
    max_age_days: int | None = None  # inclusive: up to and including this age in days
    # Products the previous dose may have been; None means the same product only.
    allowed_previous: frozenset[str] | None = None
    province_code: int | None = None
    unit_id: str | None = None  # this unit and everything below it
    id: str | None = None

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on < self.effective_to)


@dataclass(frozen=True)
class Jurisdiction:
    """Where the dose is given: the site's province and its unit path (root first)."""

    province_code: int | None = None
    unit_ids: tuple[str, ...] = ()

    def specificity(self, rule: Rule) -> int | None:
        """How closely the rule fits here (higher wins), or None when it does not apply."""
        if rule.unit_id is not None:
            return 1000 + self.unit_ids.index(rule.unit_id) if rule.unit_id in self.unit_ids else None
        if rule.province_code is not None:
            return 100 if rule.province_code == self.province_code else None
        return 0


@dataclass(frozen=True)
class GivenDose:
    product: str
    dose_number: int  # the dose's place in the person's course for the disease (1, 2, 3…)
    given_on: date


@dataclass(frozen=True)
class RuleSet:
    products: Mapping[str, Product]
    rules: tuple[Rule, ...]
    _by_key: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        index: dict[tuple[str, str], list[Rule]] = {}
        for r in self.rules:
            index.setdefault((r.product, r.dose), []).append(r)
        self._by_key.update({k: tuple(sorted(v, key=lambda r: r.effective_from)) for k, v in index.items()})

    def rules_for(self, product: str, dose: str) -> tuple[Rule, ...]:
        return self._by_key.get((product, dose), ())


@dataclass(frozen=True)
class NextDose:
    """The engine's answer for one product."""

    product: str
    dose_number: int | None
    dose: str | None  # the rule key: "1", "2", … or "booster"
    eligible: bool  # on the date asked
    reason: str | None  # why not on the date asked (a REASONS code)
    eligible_from: date | None  # the first date on or after the date asked; None: never, as rules stand
    recommended_on: date | None = None
    recommended_by: date | None = None
    rule_id: str | None = None  # the version in force on the date asked (or on eligible_from)

    @property
    def reason_en(self) -> str | None:
        return REASONS[self.reason][0] if self.reason else None

    @property
    def reason_vi(self) -> str | None:
        return REASONS[self.reason][1] if self.reason else None


@dataclass(frozen=True)
class SeriesStatus:
    """green = primary series complete, yellow = started, none = no dose."""

    status: str
    doses: int
    primary_complete_on: date | None
    last_dose_on: date | None
    boosters: int


def _course(history: Iterable[GivenDose], rules: RuleSet, disease: str) -> list[GivenDose]:
    def disease_of(code: str) -> str:
        p = rules.products.get(code)
        return p.disease if p else disease  # an unknown product in old records still counts

    return sorted((d for d in history if disease_of(d.product) == disease),
                  key=lambda d: (d.given_on, d.dose_number))


def _completes_primary(d: GivenDose, rules: RuleSet) -> bool:
    p = rules.products.get(d.product)
    return d.dose_number >= (p.doses_in_primary_series if p else 2)


def series_status(history: Iterable[GivenDose], rules: RuleSet, *, disease: str = COVID19) -> SeriesStatus:
    """The domestic status the certificate and the app show."""
    course = _course(history, rules, disease)
    if not course:
        return SeriesStatus("none", 0, None, None, 0)
    done = next((d for d in course if _completes_primary(d, rules)), None)
    boosters = sum(1 for d in course if done and d.given_on > done.given_on)
    return SeriesStatus("green" if done else "yellow", len(course), done.given_on if done else None,
                        course[-1].given_on, boosters)


def _rule_at(candidates: tuple[Rule, ...], where: Jurisdiction, on: date) -> Rule | None:
    best, best_score = None, -1
    for r in candidates:
        if not r.in_force(on):
            continue
        score = where.specificity(r)
        if score is not None and score > best_score:
            best, best_score = r, score
    return best


def _bounds(rule: Rule, prev: GivenDose | None, product: str, dob: date) -> tuple[str | None, date, date | None]:
    """(refusal, earliest, latest-exclusive) that this rule alone puts on the dose date."""
    if prev is not None and prev.product not in (rule.allowed_previous or {product}):
        return PRODUCT_NOT_ALLOWED, date.max, None
    lo = date.min
    if prev is not None and rule.min_interval_days:
        lo = max(lo, prev.given_on + timedelta(days=rule.min_interval_days))
    if rule.min_age_days is not None:
        lo = max(lo, dob + timedelta(days=rule.min_age_days))
    hi = dob + timedelta(days=rule.max_age_days + 1) if rule.max_age_days is not None else None
    return None, lo, hi


def next_dose(dob: date, history: Iterable[GivenDose], rules: RuleSet, *, product: str,
              where: Jurisdiction, on: date, disease: str | None = None) -> NextDose:
    """May the person have their next dose of `product` on `on`, and if not, from when?

    :param dob: date of birth.
    :param history: every dose given (any product; other diseases are ignored).
    :param where: the jurisdiction of the site that would give the dose.
    :param on: the date asked about (the session's date, today for screening, …).
    :param disease: when given, a product for another disease is refused.
    """
    p = rules.products.get(product)
    if p is None:
        return NextDose(product, None, None, False, PRODUCT_UNKNOWN, None)
    if disease is not None and p.disease != disease:
        return NextDose(product, None, None, False, DISEASE_MISMATCH, None)
    if not p.active:
        return NextDose(product, None, None, False, PRODUCT_INACTIVE, None)
    course = _course(history, rules, p.disease)
    prev = course[-1] if course else None
    number = max((d.dose_number for d in course), default=0) + 1
    primary_done = any(_completes_primary(d, rules) for d in course)
    key = BOOSTER if primary_done else str(number)
    candidates = rules.rules_for(product, key)

    # Today's verdict, from the version in force on the date asked.
    today_rule = _rule_at(candidates, where, on)
    reason = NO_RULE
    if today_rule is not None:
        refusal, lo, hi = _bounds(today_rule, prev, product, dob)
        if refusal:
            reason = refusal
        elif hi is not None and on >= hi:
            reason = TOO_OLD
        elif on < lo:
            reason = TOO_YOUNG if today_rule.min_age_days is not None and \
                on < dob + timedelta(days=today_rule.min_age_days) else TOO_EARLY
        else:
            reason = None

    # The first date on or after `on` that the version in force on that date allows: rules are
    # constant between their boundary dates, so each stretch is checked once.
    cuts = sorted({on} | {d for r in candidates for d in (r.effective_from, r.effective_to)
                          if d is not None and d > on})
    eligible_from, used = None, None
    for i, start in enumerate(cuts):
        end = cuts[i + 1] if i + 1 < len(cuts) else None
        rule = _rule_at(candidates, where, start)
        if rule is None:
            continue
        refusal, lo, hi = _bounds(rule, prev, product, dob)
        if refusal:
            continue
        first = max(start, lo)
        last = min(x for x in (end, hi, date.max) if x is not None)
        if first < last:
            eligible_from, used = first, rule
            break

    recommended_on = recommended_by = None
    if eligible_from is not None:
        recommended_on = eligible_from
        if prev is not None and used.recommended_interval_days:
            recommended_on = max(eligible_from, prev.given_on + timedelta(days=used.recommended_interval_days))
        if prev is not None and used.max_interval_days:
            recommended_by = prev.given_on + timedelta(days=used.max_interval_days)
    rule_id = (today_rule or used).id if (today_rule or used) else None
    return NextDose(product, number, key, reason is None, reason, eligible_from, recommended_on,
                    recommended_by, rule_id)


def options(dob: date, history: Iterable[GivenDose], rules: RuleSet, *, where: Jurisdiction,
            on: date, disease: str = COVID19) -> list[NextDose]:
    """The next dose for every active product of the disease: eligible today first, then soonest."""
    history = list(history)
    answers = [next_dose(dob, history, rules, product=code, where=where, on=on)
               for code, p in sorted(rules.products.items()) if p.active and p.disease == disease]
    return sorted(answers, key=lambda a: (not a.eligible, a.eligible_from or date.max, a.product))
