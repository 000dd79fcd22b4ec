"""The dose-rules engine on fixed dates, with the seeded COVID-19 rules of Vietnam."""
from __future__ import annotations

from datetime import date

import pytest

from api.catalog import covid19
from api.catalog.rules import (BOOSTER, GivenDose, Jurisdiction, Product, Rule, RuleSet, next_dose,
                               options, series_status)

HANOI_SITE = Jurisdiction(province_code=1, unit_ids=("vn", "p01", "hn-hk"))
HCM_SITE = Jurisdiction(province_code=79, unit_ids=("vn", "p79", "hcm-sg"))
DANANG_SITE = Jurisdiction(province_code=48, unit_ids=("vn", "p48", "dn-hc"))
ADULT = date(1980, 1, 1)


def seeded_rules() -> RuleSet:
    """The seed applied the way the catalog applies versions: a new version end-dates the last."""
    products = {code: Product(code, doses) for code, *_, doses in covid19.PRODUCTS}
    rules: list[Rule] = []
    for i, (product, dose, province, start, mn, rec, mx, min_age, allowed, _) in enumerate(covid19.RULES):
        for j, old in enumerate(rules):
            if (old.product, old.dose, old.province_code) == (product, dose, province) and old.effective_to is None:
                rules[j] = Rule(**{**old.__dict__, "effective_to": start})
        rules.append(Rule(product, dose, start, None, mn, rec, mx, min_age, None,
                          frozenset(allowed) if allowed is not None else None, province, None, id=f"r{i}"))
    return RuleSet(products, tuple(rules))


RULES = seeded_rules()


def az1(on: date) -> list[GivenDose]:
    return [GivenDose("astrazeneca", 1, on)]


def test_a_first_dose_for_an_adult_is_allowed_at_once():
    a = next_dose(ADULT, [], RULES, product="astrazeneca", where=HANOI_SITE, on=date(2021, 6, 1))
    assert (a.eligible, a.dose_number, a.dose, a.eligible_from) == (True, 1, "1", date(2021, 6, 1))


def test_astrazeneca_dose_2_needs_8_weeks_nationally():
    history = az1(date(2021, 7, 1))
    a = next_dose(ADULT, history, RULES, product="astrazeneca", where=DANANG_SITE, on=date(2021, 8, 1))
    assert not a.eligible and a.reason == "too-early"
    assert a.eligible_from == date(2021, 8, 26)  # 1 Jul + 56 days
    assert a.recommended_by == date(2021, 9, 23)  # 12 weeks
    assert next_dose(ADULT, history, RULES, product="astrazeneca", where=DANANG_SITE,
                     on=date(2021, 8, 26)).eligible


def test_hcm_city_shortened_astrazeneca_to_6_weeks_from_its_effective_date():
    history = az1(date(2021, 10, 1))
    a = next_dose(ADULT, history, RULES, product="astrazeneca", where=HCM_SITE, on=date(2021, 10, 5))
    assert a.eligible_from == date(2021, 11, 12)  # 42 days
    # Before the city's rule took effect the national 8 weeks applied to the same first dose date.
    before = next_dose(ADULT, az1(date(2021, 8, 20)), RULES, product="astrazeneca", where=HCM_SITE,
                       on=date(2021, 9, 1))
    # 8 weeks would be 15 Oct; 6 weeks (1 Oct) is allowed from the day the city's rule starts.
    assert before.eligible_from == date(2021, 10, 1)
    assert next_dose(ADULT, az1(date(2021, 8, 1)), RULES, product="astrazeneca", where=HCM_SITE,
                     on=date(2021, 9, 1)).eligible_from == date(2021, 9, 26)  # national 8 weeks came first


def test_hanoi_4_weeks_applies_to_a_first_dose_given_before_the_change():
    """The documented choice: the version in force on the date asked about decides."""
    history = az1(date(2021, 10, 1))  # dose 1 under the 8-week rule
    asked = date(2021, 11, 1)
    a = next_dose(ADULT, history, RULES, product="astrazeneca", where=HANOI_SITE, on=asked)
    assert not a.eligible and a.reason == "too-early"
    # 8 weeks would be 26 Nov; the 4-week rule from 13 Nov lets the dose be given on 13 Nov.
    assert a.eligible_from == date(2021, 11, 13)
    on_change = next_dose(ADULT, history, RULES, product="astrazeneca", where=HANOI_SITE, on=date(2021, 11, 13))
    assert on_change.eligible and on_change.rule_id != a.rule_id
    # Other provinces kept the national rule.
    assert next_dose(ADULT, history, RULES, product="astrazeneca", where=DANANG_SITE,
                     on=date(2021, 11, 13)).eligible_from == date(2021, 11, 26)


def test_the_most_specific_jurisdiction_wins():
    base = RULES.rules
    unit_rule = Rule("astrazeneca", "2", date(2021, 1, 1), None, 14, 14, None, None, None, None, None,
                     "p79", id="unit")
    rs = RuleSet(RULES.products, base + (unit_rule,))
    a = next_dose(ADULT, az1(date(2021, 10, 1)), rs, product="astrazeneca", where=HCM_SITE, on=date(2021, 10, 15))
    assert a.eligible and a.rule_id == "unit"
    # The unit rule does not reach Hà Nội.
    assert not next_dose(ADULT, az1(date(2021, 10, 1)), rs, product="astrazeneca", where=HANOI_SITE,
                         on=date(2021, 10, 15)).eligible


def test_mixing_astrazeneca_then_pfizer_is_allowed_but_not_then_sinopharm():
    history = az1(date(2021, 7, 1))
    pf = next_dose(ADULT, history, RULES, product="pfizer-biontech", where=HANOI_SITE, on=date(2021, 8, 1))
    assert pf.eligible and pf.dose_number == 2
    vc = next_dose(ADULT, history, RULES, product="sinopharm-verocell", where=HANOI_SITE, on=date(2021, 8, 1))
    assert not vc.eligible and vc.reason == "product-not-allowed" and vc.eligible_from is None


def test_age_limits_and_their_change_for_children():
    child = date(2008, 3, 1)  # 13 in late 2021
    before = next_dose(child, [], RULES, product="pfizer-biontech", where=HANOI_SITE, on=date(2021, 10, 1))
    assert before.reason == "too-young" and before.eligible_from == date(2021, 10, 27)
    assert not next_dose(child, [], RULES, product="moderna", where=HANOI_SITE, on=date(2021, 11, 1)).eligible
    assert next_dose(child, [], RULES, product="pfizer-biontech", where=HANOI_SITE, on=date(2021, 11, 1)).eligible
    toddler = date(2019, 1, 1)
    t = next_dose(toddler, [], RULES, product="astrazeneca", where=HANOI_SITE, on=date(2021, 11, 1))
    # Ages are days (18 years = 6,574 days): with five leap days in between, one day early.
    assert t.reason == "too-young" and t.eligible_from == date(2036, 12, 31)


def test_an_upper_age_limit_refuses_and_never_becomes_eligible():
    rs = RuleSet({"x": Product("x", 1)}, (Rule("x", "1", date(2020, 1, 1), max_age_days=365 * 60 + 15),))
    a = next_dose(date(1950, 1, 1), [], rs, product="x", where=HANOI_SITE, on=date(2021, 1, 1))
    assert a.reason == "too-old" and a.eligible_from is None


def test_janssen_completes_the_series_in_one_dose_and_a_booster_follows():
    history = [GivenDose("janssen", 1, date(2021, 8, 1))]
    assert series_status(history, RULES).status == "green"
    b = next_dose(ADULT, history, RULES, product="pfizer-biontech", where=HANOI_SITE, on=date(2021, 12, 1))
    assert b.dose == BOOSTER and b.dose_number == 2
    assert not b.eligible and b.eligible_from == date(2021, 12, 17)  # 6 months → 3 months from 17 Dec
    assert next_dose(ADULT, history, RULES, product="janssen", where=HANOI_SITE,
                     on=date(2021, 12, 1)).reason == "no-rule"


def test_series_status_green_yellow_none():
    assert series_status([], RULES).status == "none"
    assert series_status(az1(date(2021, 7, 1)), RULES).status == "yellow"
    full = az1(date(2021, 7, 1)) + [GivenDose("pfizer-biontech", 2, date(2021, 9, 1)),
                                    GivenDose("moderna", 3, date(2022, 1, 1))]
    s = series_status(full, RULES)
    assert (s.status, s.doses, s.primary_complete_on, s.boosters) == ("green", 3, date(2021, 9, 1), 1)
    abdala_two = [GivenDose("abdala", 1, date(2021, 10, 1)), GivenDose("abdala", 2, date(2021, 10, 15))]
    assert series_status(abdala_two, RULES).status == "yellow"  # Abdala needs 3


def test_unknown_and_inactive_products():
    assert next_dose(ADULT, [], RULES, product="nope", where=HANOI_SITE, on=date(2022, 1, 1)).reason == "product-unknown"
    rs = RuleSet({**RULES.products, "janssen": Product("janssen", 1, active=False)}, RULES.rules)
    assert next_dose(ADULT, [], rs, product="janssen", where=HANOI_SITE, on=date(2022, 1, 1)).reason == "product-inactive"


def test_no_rule_before_a_product_was_approved():
    a = next_dose(ADULT, [], RULES, product="novavax", where=HANOI_SITE, on=date(2021, 6, 1))
    assert a.reason == "no-rule" and a.eligible_from == date(2021, 12, 17)


def test_options_lists_every_active_product_eligible_first():
    opts = options(ADULT, az1(date(2021, 7, 1)), RULES, where=HANOI_SITE, on=date(2021, 8, 1))
    assert [o.product for o in opts if o.eligible] == ["moderna", "pfizer-biontech"]
    assert {o.product for o in opts} == {p[0] for p in covid19.PRODUCTS}


@pytest.mark.parametrize("days,ok", [(20, False), (21, True)])
def test_sputnik_component_2_after_21_days(days, ok):
    from datetime import timedelta

    first = date(2021, 9, 1)
    a = next_dose(ADULT, [GivenDose("sputnik-v", 1, first)], RULES, product="sputnik-v",
                  where=HANOI_SITE, on=first + timedelta(days=days))
    assert a.eligible is ok
