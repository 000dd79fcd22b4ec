"""The vaccine catalogue, versioned dose rules and organisation units through the API."""
from __future__ import annotations

from tests.api.booking.conftest import make_staff


def test_the_covid19_vaccines_used_in_vietnam_are_seeded_with_their_codes(client):
    products = {p["code"]: p for p in client.get("/vaccine-products").json}
    assert set(products) == {"astrazeneca", "pfizer-biontech", "moderna", "sinopharm-verocell", "sputnik-v",
                             "abdala", "janssen", "novavax"}
    az = products["astrazeneca"]
    assert (az["eu_mp"], az["eu_ma"], az["cvx"], az["target_disease"]) == (
        "EU/1/21/1529", "ORG-100001699", "210", "840539006")
    assert products["janssen"]["doses_in_primary_series"] == 1
    assert products["abdala"]["doses_in_primary_series"] == 3


def test_the_astrazeneca_interval_history_is_there(client):
    rules = client.get("/dose-rules?product_code=astrazeneca").json
    dose2 = {r["jurisdiction"]: r for r in rules if r["dose"] == "2"}
    assert dose2["national"]["min_interval_days"] == 56 and dose2["national"]["max_interval_days"] == 84
    assert (dose2["province:79"]["min_interval_days"], dose2["province:79"]["effective_from"]) == (42, "2021-10-01")
    assert (dose2["province:1"]["min_interval_days"], dose2["province:1"]["effective_from"]) == (28, "2021-11-13")
    in_force = client.get("/dose-rules?product_code=astrazeneca&on=2021-09-01").json
    assert {r["jurisdiction"] for r in in_force if r["dose"] == "2"} == {"national"}


def test_a_new_rule_version_end_dates_the_old_one_and_history_stays(admin, client):
    r = admin.post("/dose-rules", {"product_code": "moderna", "dose": "2", "effective_from": "2027-01-01",
                                   "min_interval_days": 35, "recommended_interval_days": 42,
                                   "allowed_previous": ["moderna", "pfizer-biontech"], "source": "test"})
    assert r.status_code == 201, r.json
    versions = [v for v in client.get("/dose-rules?product_code=moderna").json
                if v["dose"] == "2" and v["jurisdiction"] == "national"]
    assert [(v["effective_from"], v["effective_to"], v["min_interval_days"]) for v in versions] == [
        ("2021-06-29", "2027-01-01", 28), ("2027-01-01", None, 35)]
    again = admin.post("/dose-rules", {"product_code": "moderna", "dose": "2", "effective_from": "2026-12-01"})
    assert again.status_code == 409 and again.json["type"] == "/problems/rule-version-conflict"
    bad = admin.post("/dose-rules", {"product_code": "moderna", "dose": "3", "effective_from": "2027-02-01"})
    assert bad.status_code == 422 and "dose" in bad.json["errors"]
    unknown = admin.post("/dose-rules", {"product_code": "covaxin", "dose": "1", "effective_from": "2027-02-01"})
    assert unknown.status_code == 422 and unknown.json["type"] == "/problems/product-unknown"


def test_a_rule_version_for_a_unit_applies_below_it(app, admin, hk_staff):
    unit = next(u for u in hk_staff.get("/org-units").json if u["code"] == "HN-HK")
    r = admin.post("/dose-rules", {"product_code": "novavax", "dose": "2", "unit_id": unit["id"],
                                   "effective_from": "2026-01-01", "min_interval_days": 14})
    assert r.status_code == 201 and r.json["jurisdiction"] == f"unit:{unit['id']}"


def test_a_national_admin_adds_and_retires_a_product(admin, client):
    body = {"code": "mmr-priorix", "name_vi": "Sởi - Quai bị - Rubella (Priorix)", "name_en": "MMR (Priorix)",
            "target_disease": "38907003", "doses_in_primary_series": 2, "cvx": "03"}
    r = admin.post("/vaccine-products", body)
    assert r.status_code == 201 and r.json["active"]
    assert admin.post("/vaccine-products", body).status_code == 409
    assert admin.patch("/vaccine-products/mmr-priorix", {"active": False}).json["active"] is False
    assert "mmr-priorix" not in {p["code"] for p in client.get("/vaccine-products").json}
    assert "mmr-priorix" in {p["code"] for p in client.get("/vaccine-products?include_inactive=true").json}


def test_units_within_scope_and_creating_a_site(app, hanoi_dept, hcm_dept):
    units = hanoi_dept.get("/org-units").json
    assert {u["province_code"] for u in units} == {1} and units[0]["code"] == "P01"
    centre = next(u for u in units if u["kind"] == "health_centre")
    site = {"parent_id": centre["id"], "code": "HN-CG", "name": "Trạm Y tế phường Cầu Giấy", "ward_code": 167,
            "latitude": 21.0362, "longitude": 105.7906, "opening_hours": "07:30-16:30", "daily_capacity": 400}
    r = hanoi_dept.post("/org-units", site)
    assert r.status_code == 201, r.json
    assert (r.json["province_code"], r.json["parent_id"], r.json["depth"]) == (1, centre["id"], 3)
    assert "HN-CG" in {u["code"] for u in hanoi_dept.get("/org-units?kind=site").json}
    out = hcm_dept.post("/org-units", {**site, "code": "HN-XX"})
    assert out.status_code == 403 and out.json["type"] == "/problems/unit-out-of-scope"
    wrong_ward = hanoi_dept.post("/org-units", {**site, "code": "HN-YY", "ward_code": 26740})
    assert wrong_ward.status_code == 422
    taken = hanoi_dept.post("/org-units", site)
    assert taken.status_code == 409


def test_site_staff_see_only_their_site(app):
    staff = make_staff(app, "site_staff", "HCM-BT")
    assert [u["code"] for u in staff.get("/org-units").json] == ["HCM-BT"]
