"""Organisation units: a tree of any depth, scoped by materialised path."""
from __future__ import annotations

import threading
import time
import weakref
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.catalog import rules as engine
from api.catalog.models import DoseRule, OrgUnit, VaccineProduct
from api.catalog.problems import (ProductExists, ProductUnknown, RuleVersionConflict, UnitExists,
                                  UnitOutOfScope)
from api.places import service as places
from api.problems import Conflict, NotFound, ValidationFailed

KINDS = ("national", "province", "health_centre", "site")


def add_unit(session: so.Session, *, code: str, name: str, kind: str, parent_code: str | None,
             province_code: int | None = None, ward_code: int | None = None, now: datetime,
             **extra) -> OrgUnit:
    """:raises Conflict: the code exists; NotFound: no such parent; ValidationFailed: bad address."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    if session.scalar(sa.select(OrgUnit.id).filter_by(code=code)):
        raise Conflict(f"Unit {code} exists.", detail_vi=f"Đơn vị {code} đã tồn tại.")
    parent = None
    if parent_code:
        parent = session.scalar(sa.select(OrgUnit).filter_by(code=parent_code))
        if parent is None:
            raise NotFound(f"No unit {parent_code}.", detail_vi=f"Không có đơn vị {parent_code}.")
        province_code = province_code if province_code is not None else parent.province_code
    places.check_address(province_code, ward_code)
    unit = OrgUnit(code=code, name=name, kind=kind, parent_id=parent.id if parent else None,
                   province_code=province_code, ward_code=ward_code, created_at=now, path="", **extra)
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def unit_by_code(session: so.Session, code: str) -> OrgUnit:
    unit = session.scalar(sa.select(OrgUnit).filter_by(code=code))
    if unit is None:
        raise NotFound(f"No unit {code}.", detail_vi=f"Không có đơn vị {code}.")
    return unit


def units_within(session: so.Session, unit_path: str) -> sa.Select:
    """Every unit at or below the one with this path."""
    return sa.select(OrgUnit).where(OrgUnit.path.startswith(unit_path))


# ---------------------------------------------------------------- scope

SCOPED_ROLES = ("site_staff", "department_staff", "national_admin")


def scope_paths(principal, roles: tuple[str, ...] = SCOPED_ROLES) -> tuple[str, ...]:
    """The unit paths under which this principal's roles (of the kinds given) reach."""
    return tuple(r.unit_path for r in principal.roles if r.role in roles and r.unit_path)


def path_in_scope(path: str, paths: tuple[str, ...]) -> bool:
    return any(path.startswith(p) for p in paths)


def list_units(sessions: so.sessionmaker, principal, *, kind: str | None = None,
               province_code: int | None = None) -> list[OrgUnit]:
    """Every unit at or below the principal's units (the PWA builds the tree from parent_id)."""
    paths = scope_paths(principal)
    if not paths:
        return []
    q = sa.select(OrgUnit).where(sa.or_(*(OrgUnit.path.startswith(p) for p in paths)))
    if kind:
        q = q.where(OrgUnit.kind == kind)
    if province_code is not None:
        q = q.where(OrgUnit.province_code == province_code)
    with sessions.begin() as session:
        return list(session.scalars(q.order_by(OrgUnit.path)))


def create_unit(sessions: so.sessionmaker, principal, *, parent_id: str, code: str, name: str,
                kind: str, now: datetime, **fields) -> OrgUnit:
    """Add a unit (usually a site) under a unit within scope.

    :raises NotFound: no such parent; UnitOutOfScope: the parent is outside the caller's units;
        UnitExists: the code is taken; ValidationFailed: a ward outside the province.
    """
    with sessions.begin() as session:
        parent = session.get(OrgUnit, parent_id)
        if parent is None:
            raise NotFound("No such parent unit.", detail_vi="Không có đơn vị cấp trên này.")
        if not path_in_scope(parent.path, scope_paths(principal, ("department_staff", "national_admin"))):
            raise UnitOutOfScope()
        if kind not in KINDS[1:] or not (KINDS.index(kind) > KINDS.index(parent.kind)
                                          or kind == parent.kind == "health_centre"):
            raise ValidationFailed(f"A {kind} cannot be placed under a {parent.kind}.",
                                   detail_vi="Loại đơn vị không phù hợp với đơn vị cấp trên.",
                                   errors={"kind": [f"Not allowed under a {parent.kind}."]},
                                   errors_vi={"kind": ["Không phù hợp với đơn vị cấp trên."]})
        if session.scalar(sa.select(OrgUnit.id).filter_by(code=code)):
            raise UnitExists(errors={"code": ["Already used."]}, errors_vi={"code": ["Mã đã được dùng."]})
        return add_unit(session, code=code, name=name, kind=kind, parent_code=parent.code, now=now, **fields)


# ---------------------------------------------------------------- vaccine products and dose rules

PRODUCT_FIELDS = ("name_vi", "name_en", "target_disease", "eu_mp", "eu_ma", "eu_vp", "cvx",
                  "doses_in_primary_series", "active")
# Each process keeps the rule set for a short while: booking asks for it on every request, and
# rule versions are normally added ahead of their effective date. A change made in this process
# is seen at once; other processes see it within RULES_TTL seconds.
RULES_TTL = 30.0
_cache: "weakref.WeakKeyDictionary[sa.Engine, tuple[float, engine.RuleSet]]" = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def list_products(sessions: so.sessionmaker, *, include_inactive: bool = False) -> list[VaccineProduct]:
    q = sa.select(VaccineProduct).order_by(VaccineProduct.code)
    if not include_inactive:
        q = q.where(VaccineProduct.active.is_(True))
    with sessions.begin() as session:
        return list(session.scalars(q))


def product_by_code(session: so.Session, code: str) -> VaccineProduct:
    """:raises ProductUnknown:"""
    product = session.scalar(sa.select(VaccineProduct).filter_by(code=code))
    if product is None:
        raise ProductUnknown(f"There is no vaccine product with code {code!r}.",
                             detail_vi=f"Không có vắc xin với mã {code!r}.",
                             errors={"product_code": ["Unknown product code."]},
                             errors_vi={"product_code": ["Mã vắc xin không tồn tại."]})
    return product


def get_product(sessions: so.sessionmaker, code: str) -> VaccineProduct:
    with sessions.begin() as session:
        return product_by_code(session, code)


def add_product(session: so.Session, *, code: str, now: datetime, **fields) -> VaccineProduct:
    """:raises ProductExists:"""
    if session.scalar(sa.select(VaccineProduct.id).filter_by(code=code)):
        raise ProductExists(errors={"code": ["Already used."]}, errors_vi={"code": ["Mã đã được dùng."]})
    product = VaccineProduct(code=code, created_at=now, updated_at=now,
                             **{k: v for k, v in fields.items() if k in PRODUCT_FIELDS})
    session.add(product)
    session.flush()
    _forget_rules(session)
    return product


def create_product(sessions: so.sessionmaker, *, code: str, now: datetime, **fields) -> VaccineProduct:
    with sessions.begin() as session:
        return add_product(session, code=code, now=now, **fields)


def update_product(sessions: so.sessionmaker, code: str, fields: dict, *, now: datetime) -> VaccineProduct:
    """Change names, codes or the active flag (the dose count stays: rules depend on it)."""
    with sessions.begin() as session:
        product = product_by_code(session, code)
        for k, v in fields.items():
            if k in PRODUCT_FIELDS and k != "doses_in_primary_series":
                setattr(product, k, v)
        product.updated_at = now
        _forget_rules(session)
        return product


def jurisdiction_key(province_code: int | None, unit_id: str | None) -> str:
    if unit_id:
        return f"unit:{unit_id}"
    if province_code is not None:
        return f"province:{province_code}"
    return "national"


def add_rule_version(session: so.Session, *, product_code: str, dose: str, effective_from: date,
                     now: datetime, province_code: int | None = None, unit_id: str | None = None,
                     effective_to: date | None = None, min_interval_days: int | None = None,
                     recommended_interval_days: int | None = None, max_interval_days: int | None = None,
                     min_age_days: int | None = None, max_age_days: int | None = None,
                     allowed_previous: list[str] | None = None, source: str = "",
                     actor: str | None = None) -> DoseRule:
    """Add a version of the rule for (product, dose, jurisdiction) from `effective_from`.

    The version in force until then is end-dated on that day; nothing else changes, so what was
    in force on any past date can still be read.
    :raises ProductUnknown, RuleVersionConflict, ValidationFailed:
    """
    def invalid(field: str, en: str, vi: str):
        return ValidationFailed(en, detail_vi=vi, errors={field: [en]}, errors_vi={field: [vi]})

    product = product_by_code(session, product_code)
    if dose != engine.BOOSTER and not (dose.isdigit() and 1 <= int(dose) <= product.doses_in_primary_series):
        raise invalid("dose", f"Dose must be 1-{product.doses_in_primary_series} or 'booster'.",
                      f"Mũi tiêm phải từ 1 đến {product.doses_in_primary_series} hoặc 'booster'.")
    if province_code is not None and unit_id is not None:
        raise invalid("jurisdiction", "Give a province or a unit, not both.",
                      "Chỉ chọn tỉnh/thành hoặc đơn vị, không chọn cả hai.")
    if unit_id is not None and session.get(OrgUnit, unit_id) is None:
        raise invalid("unit_id", "No such organisation unit.", "Không có đơn vị này.")
    if province_code is not None:
        places.check_address(province_code, None)
    if effective_to is not None and effective_to <= effective_from:
        raise invalid("effective_to", "Must be after effective_from.", "Phải sau ngày bắt đầu hiệu lực.")
    for k, v in (("min_interval_days", min_interval_days), ("recommended_interval_days", recommended_interval_days),
                 ("max_interval_days", max_interval_days), ("min_age_days", min_age_days),
                 ("max_age_days", max_age_days)):
        if v is not None and v < 0:
            raise invalid(k, "Must not be negative.", "Không được âm.")
    known = set(session.scalars(sa.select(VaccineProduct.code)))
    if allowed_previous is not None and (unknown := sorted(set(allowed_previous) - known)):
        raise invalid("allowed_previous", f"Unknown product codes: {', '.join(unknown)}.",
                      f"Mã vắc xin không tồn tại: {', '.join(unknown)}.")
    where = jurisdiction_key(province_code, unit_id)
    latest = session.scalar(sa.select(DoseRule).where(
        DoseRule.product_id == product.id, DoseRule.dose == dose, DoseRule.jurisdiction == where)
        .order_by(DoseRule.effective_from.desc()).limit(1).with_for_update())
    if latest is not None:
        if effective_from <= latest.effective_from:
            raise RuleVersionConflict(
                f"The latest version starts on {latest.effective_from}; a new one must start later.",
                detail_vi=f"Phiên bản gần nhất bắt đầu ngày {latest.effective_from}; phiên bản mới phải bắt đầu sau.",
                latest_effective_from=latest.effective_from.isoformat())
        if latest.effective_to is None or latest.effective_to > effective_from:
            latest.effective_to = effective_from
    rule = DoseRule(product_id=product.id, dose=dose, jurisdiction=where, province_code=province_code,
                    unit_id=unit_id, effective_from=effective_from, effective_to=effective_to,
                    min_interval_days=min_interval_days, recommended_interval_days=recommended_interval_days,
                    max_interval_days=max_interval_days, min_age_days=min_age_days,
                    max_age_days=max_age_days,
                    allowed_previous=sorted(set(allowed_previous)) if allowed_previous is not None else None,
                    source=source, created_by=actor, created_at=now)
    session.add(rule)
    session.flush()
    _forget_rules(session)
    return rule


def create_rule_version(sessions: so.sessionmaker, *, now: datetime, **fields) -> tuple[DoseRule, str]:
    with sessions.begin() as session:
        rule = add_rule_version(session, now=now, **fields)
        return rule, fields["product_code"]


def list_rules(sessions: so.sessionmaker, *, product_code: str | None = None,
               on: date | None = None) -> list[tuple[DoseRule, str]]:
    """Every version (or those in force on a date), oldest first, with the product code."""
    q = sa.select(DoseRule, VaccineProduct.code).join(VaccineProduct, VaccineProduct.id == DoseRule.product_id)
    if product_code:
        q = q.where(VaccineProduct.code == product_code)
    if on is not None:
        q = q.where(DoseRule.effective_from <= on,
                    sa.or_(DoseRule.effective_to.is_(None), DoseRule.effective_to > on))
    q = q.order_by(VaccineProduct.code, DoseRule.dose, DoseRule.jurisdiction, DoseRule.effective_from)
    with sessions.begin() as session:
        if product_code:
            product_by_code(session, product_code)
        return [(r, code) for r, code in session.execute(q)]


def _forget_rules(session: so.Session) -> None:
    with _cache_lock:
        _cache.pop(_engine_of(session), None)


def _engine_of(session: so.Session | sa.Connection) -> sa.Engine:
    """The cache key: the engine, also for a session bound to one of its connections."""
    bind = session if isinstance(session, sa.Connection) else session.get_bind()
    return getattr(bind, "engine", bind)


def load_rule_set(session: so.Session | sa.Connection) -> engine.RuleSet:
    """Every product and rule version as the engine's input (cached per process, RULES_TTL).
    Takes a Core connection too (the booking hot path has no ORM session)."""
    bind = _engine_of(session)
    hit = _cache.get(bind)
    if hit is not None and time.monotonic() - hit[0] < RULES_TTL:
        return hit[1]
    if isinstance(session, sa.Connection):
        with so.Session(bind=session) as orm:
            return load_rule_set(orm)
    products = {p.code: engine.Product(p.code, p.doses_in_primary_series, p.target_disease, p.active)
                for p in session.scalars(sa.select(VaccineProduct))}
    codes = dict(session.execute(sa.select(VaccineProduct.id, VaccineProduct.code)).all())
    rules = tuple(engine.Rule(
        product=codes[r.product_id], dose=r.dose, effective_from=r.effective_from,
        effective_to=r.effective_to, min_interval_days=r.min_interval_days,
        recommended_interval_days=r.recommended_interval_days, max_interval_days=r.max_interval_days,
        min_age_days=r.min_age_days, max_age_days=r.max_age_days,
        allowed_previous=frozenset(r.allowed_previous) if r.allowed_previous is not None else None,
        province_code=r.province_code, unit_id=r.unit_id, id=r.id)
        for r in session.scalars(sa.select(DoseRule)))
    rule_set = engine.RuleSet(products, rules)
    with _cache_lock:
        _cache[bind] = (time.monotonic(), rule_set)
    return rule_set


def jurisdiction_of(unit: OrgUnit) -> engine.Jurisdiction:
    return engine.Jurisdiction(unit.province_code, tuple(p for p in unit.path.split("/") if p))


def seed_covid19(session: so.Session, *, now: datetime) -> int:
    """The COVID-19 vaccines used in Vietnam and their rule history (idempotent)."""
    from api.catalog import covid19

    made = 0
    for code, name_vi, name_en, mp, ma, vp, cvx, doses in covid19.PRODUCTS:
        if session.scalar(sa.select(VaccineProduct.id).filter_by(code=code)):
            continue
        add_product(session, code=code, name_vi=name_vi, name_en=name_en, target_disease=covid19.DISEASE,
                    eu_mp=mp, eu_ma=ma, eu_vp=vp, cvx=cvx, doses_in_primary_series=doses, active=True, now=now)
        made += 1
    if session.scalar(sa.select(sa.func.count()).select_from(DoseRule)):
        return made
    for product, dose, province, start, mn, rec, mx, min_age, allowed, source in covid19.RULES:
        add_rule_version(session, product_code=product, dose=dose, province_code=province,
                         effective_from=start, min_interval_days=mn, recommended_interval_days=rec,
                         max_interval_days=mx, min_age_days=min_age, allowed_previous=allowed,
                         source=source, now=now)
        made += 1
    return made
