"""The COVID-19 vaccines used in Vietnam and their dose rules, as seed data.

Codes: EU DCC value sets (../shared/vectors/dcc-schema/valuesets: vaccine-medicinal-product,
vaccine-mah-manf, vaccine-prophylaxis) and CDC CVX (SMART Health Cards). Abdala has no CVX code
of its own: 500 is "COVID-19 Non-US Vaccine, Product Unknown". Sinopharm's Vero Cell is
BBIBP-CorV (the Beijing Institute's); its older EU code "Inactivated-SARS-CoV-2-Vero-Cell" is
deprecated in the value set.

Dates and intervals follow the Ministry of Health's guidance as reported in 2021; where the exact
day of a decision is not in our sources the date is the one the change was reported (marked
"approx." in `source`): check them against the official documents before relying on them.
"""
from __future__ import annotations

from datetime import date

from api.catalog.rules import BOOSTER, COVID19


def years(n: int) -> int:
    """An age in days as the rules store it: 18 years = 6,574 days (leap days included)."""
    return n * 365 + n // 4


VECTOR, MRNA, INACTIVATED, PROTEIN = "29061000087103", "1119349007", "1157024006", "1162643001"

# code, name_vi, name_en, eu_mp, eu_ma, eu_vp, cvx, doses in the primary series
PRODUCTS = [
    ("astrazeneca", "AstraZeneca (Vaxzevria)", "AstraZeneca (Vaxzevria)", "EU/1/21/1529",
     "ORG-100001699", VECTOR, "210", 2),
    ("pfizer-biontech", "Pfizer-BioNTech (Comirnaty)", "Pfizer-BioNTech (Comirnaty)", "EU/1/20/1528",
     "ORG-100030215", MRNA, "208", 2),
    ("moderna", "Moderna (Spikevax)", "Moderna (Spikevax)", "EU/1/20/1507", "ORG-100031184", MRNA, "207", 2),
    ("sinopharm-verocell", "Vero Cell (Sinopharm)", "Sinopharm BIBP (Vero Cell)", "BBIBP-CorV",
     "ORG-100020693", INACTIVATED, "510", 2),
    ("sputnik-v", "Sputnik V (Gam-COVID-Vac)", "Sputnik V (Gam-COVID-Vac)", "Sputnik-V",
     "Gamaleya-Research-Institute", VECTOR, "505", 2),
    ("abdala", "Abdala (CIGB-66)", "Abdala (CIGB-66)", "Abdala", "CIGB", PROTEIN, "500", 3),
    ("janssen", "Janssen (Jcovden, 1 mũi)", "Janssen (Jcovden, single dose)", "EU/1/20/1525",
     "ORG-100001417", VECTOR, "212", 1),
    ("novavax", "Novavax (Nuvaxovid)", "Novavax (Nuvaxovid)", "EU/1/21/1618", "ORG-100032020", PROTEIN, "211", 2),
]

MRNA_OR_AZ = ["pfizer-biontech", "moderna", "astrazeneca"]  # mixing allowed for dose 2 (2021)
ALL = [p[0] for p in PRODUCTS]
ADULT = years(18)

NATIONAL, HCM, HANOI = None, 79, 1

# (product, dose, province or None, effective_from, min, recommended, max interval, min age,
#  allowed previous, source) — applied in this order, each through the catalog's versioning.
RULES = [
    ("astrazeneca", "1", NATIONAL, date(2021, 1, 30), None, None, None, ADULT, None,
     "QĐ 983/QĐ-BYT (approved 30/01/2021)"),
    ("astrazeneca", "2", NATIONAL, date(2021, 1, 30), 56, 56, 84, ADULT, None,
     "Hướng dẫn BYT: mũi 2 cách mũi 1 từ 8-12 tuần"),
    ("astrazeneca", "2", HCM, date(2021, 10, 1), 42, 42, 84, ADULT, None,
     "UBND TP.HCM: tối thiểu 6 tuần (approx. early Oct 2021, after BYT let provinces decide)"),
    ("astrazeneca", "2", HANOI, date(2021, 11, 13), 28, 28, 84, ADULT, None,
     "Sở Y tế Hà Nội: từ 4 tuần (approx., reported 13-15/11/2021)"),
    ("sputnik-v", "1", NATIONAL, date(2021, 3, 23), None, None, None, ADULT, None, "approved 23/03/2021"),
    ("sputnik-v", "2", NATIONAL, date(2021, 3, 23), 21, 21, None, ADULT, None,
     "component II, 21 days after component I"),
    ("sinopharm-verocell", "1", NATIONAL, date(2021, 6, 3), None, None, None, ADULT, None, "approved 03/06/2021"),
    ("sinopharm-verocell", "2", NATIONAL, date(2021, 6, 3), 21, 28, 28, ADULT, None, "3-4 weeks"),
    ("pfizer-biontech", "1", NATIONAL, date(2021, 6, 12), None, None, None, ADULT, None, "approved 12/06/2021"),
    ("pfizer-biontech", "1", NATIONAL, date(2021, 10, 27), None, None, None, years(12), None,
     "children 12-17 from late Oct 2021 (approx.)"),
    ("pfizer-biontech", "2", NATIONAL, date(2021, 6, 12), 21, 21, 28, ADULT, MRNA_OR_AZ,
     "3-4 weeks; mixing after AstraZeneca or Moderna allowed"),
    ("pfizer-biontech", "2", NATIONAL, date(2021, 10, 27), 21, 21, 28, years(12), MRNA_OR_AZ,
     "children 12-17 from late Oct 2021 (approx.)"),
    ("moderna", "1", NATIONAL, date(2021, 6, 29), None, None, None, ADULT, None, "approved 29/06/2021"),
    ("moderna", "2", NATIONAL, date(2021, 6, 29), 28, 28, None, ADULT, MRNA_OR_AZ,
     "4 weeks; mixing after AstraZeneca or Pfizer allowed"),
    ("janssen", "1", NATIONAL, date(2021, 7, 15), None, None, None, ADULT, None, "single dose (approx. approval)"),
    ("abdala", "1", NATIONAL, date(2021, 9, 17), None, None, None, ADULT, None, "approved 17/09/2021"),
    ("abdala", "2", NATIONAL, date(2021, 9, 17), 14, 14, None, ADULT, None, "0-14-28 days"),
    ("abdala", "3", NATIONAL, date(2021, 9, 17), 14, 14, None, ADULT, None, "0-14-28 days"),
    ("novavax", "1", NATIONAL, date(2021, 12, 17), None, None, None, ADULT, None, "approx. approval"),
    ("novavax", "2", NATIONAL, date(2021, 12, 17), 21, 21, None, ADULT, None, "3 weeks"),
] + [
    (p, BOOSTER, NATIONAL, date(2021, 11, 19), 180, 180, None, ADULT, ALL,
     "booster 6 months after the primary series (approx.)") for p in MRNA_OR_AZ
] + [
    (p, BOOSTER, NATIONAL, date(2021, 12, 17), 90, 90, None, ADULT, ALL,
     "booster from 3 months after the primary series (approx.)") for p in MRNA_OR_AZ
]

DISEASE = COVID19
