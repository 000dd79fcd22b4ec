"""CSV import of historical doses: all rows or none, a per-row report, a second approver."""
from __future__ import annotations

from datetime import date

from api.vaccination.models import DoseImport, DoseRecord
from tests.api.test_auth import problem
from tests.api.test_vaccination_support import count, person, snapshot, staff

HEADER = "national_id,date_of_birth,product_code,administered_on,lot_number,dose_number,site_code,site_name\n"


def upload(client, text: str, name: str = "doses.csv"):
    return client.http.post("/api/v1/dose-imports", data=text.encode(), content_type="text/csv",
                            headers={"X-CSRF-Token": client.csrf, "Accept-Language": "en", "X-File-Name": name})


def test_an_import_is_whole_and_counts_after_a_second_approver(app):
    a, b = staff(app, "site_staff", "HN-HK"), staff(app, "department_staff", "P01")
    x, y = person(app, name="Người X", dob=date(1980, 1, 2)), person(app, name="Người Y", dob=date(1992, 7, 8))
    csv = HEADER + (f"{x['national_id']},1980-01-02,astrazeneca,2021-08-01,A1,1,HN-HK,\n"
                    f"{x['national_id']},02/01/1980,astrazeneca,2021-10-20,A2,2,,Bệnh viện Bạch Mai\n"
                    f"{y['national_id']},1992-07-08,pfizer-biontech,2021-11-05,P1,3,,\n")
    r = upload(a, csv)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "pending_approval" and r.json["row_count"] == 3
    assert [row["status"] for row in r.json["rows"]] == ["accepted"] * 3
    assert r.json["rows"][2]["warnings"] == ["dose_number 3 differs from the history's 1."]
    assert count(app, DoseRecord, status="pending_approval", source="import") == 3
    problem(upload(a, csv), 409, "import-duplicate")
    problem(a.post(f"/dose-imports/{r.json['id']}/approve", {}), 403, "second-person-required")
    assert b.post(f"/dose-imports/{r.json['id']}/approve", {}).json["status"] == "approved"
    doses = b.get(f"/dose-imports/{r.json['id']}").json["doses"]
    assert {(d["person_id"], d["dose_number"], d["status"]) for d in doses} == {
        (x["id"], 1, "valid"), (x["id"], 2, "valid"), (y["id"], 1, "valid")}
    assert next(d for d in doses if d["lot_number"] == "A1")["site_name"] == "Trạm Y tế phường Hoàn Kiếm"


def test_one_bad_row_rejects_the_file_with_a_report_and_imports_nothing(app):
    a = staff(app, "site_staff", "HN-HK")
    x = person(app, name="Người X", dob=date(1980, 1, 2))
    hcm = person(app, name="Người Sài Gòn", dob=date(1975, 5, 5), province=79)
    csv = HEADER + (f"{x['national_id']},1980-01-02,astrazeneca,2021-08-01,A1,1,,\n"      # fine
                    f"{x['national_id']},1981-01-02,astrazeneca,2021-10-20,A2,2,,\n"      # birth date differs
                    f"{x['national_id']},1980-01-02,sputnik-x,2021-10-20,,,,\n"           # unknown product
                    f"{x['national_id']},1980-01-02,astrazeneca,2031-01-01,,,,\n"         # in the future
                    f"12345,1980-01-02,astrazeneca,2021-09-01,,,,\n"                      # malformed ID
                    f"{hcm['national_id']},1975-05-05,moderna,2021-09-01,,,,\n"           # outside scope
                    f"{x['national_id']},1980-01-02,astrazeneca,2021-08-01,A1,1,,\n"      # twice in the file
                    f"{x['national_id']},1980-01-02,astrazeneca,not-a-date,,,NOPE,\n"     # bad date, unit
                    f"{x['national_id']},1980-01-02,astrazeneca,2021-09-09,,,,,extra\n")  # too many fields
    before = snapshot(app)
    body = problem(upload(a, csv), 422, "import-rejected")
    assert body["accepted"] == 1 and body["rejected"] == 8
    rows = {row["row"]: row for row in body["rows"]}
    assert rows[2]["status"] == "accepted"
    assert rows[3]["errors"] == {"date_of_birth": ["Does not match the person."]}
    assert rows[4]["errors"] == {"product_code": ["Unknown product code."]}
    assert rows[5]["errors"] == {"administered_on": ["Cannot be in the future."]}
    assert "national_id" in rows[6]["errors"]
    assert rows[7]["errors"] == {"person": ["Outside your scope."]}
    assert rows[8]["errors"] == {"administered_on": ["The same dose appears twice in this file."]}
    assert set(rows[9]["errors"]) == {"administered_on", "site_code"}
    assert rows[10]["errors"] == {"row": ["More fields than columns."]}
    assert snapshot(app) == before and count(app, DoseImport) == 0
    # the file itself must be a CSV with the known columns
    problem(upload(a, "name,when\nAn,2021-01-01\n"), 422, "import-rejected")
    problem(upload(a, HEADER), 422, "import-rejected")
    problem(a.post("/dose-imports", {"rows": []}), 422)
    citizen_like = staff(app, "national_admin", "VN")
    problem(upload(citizen_like, HEADER), 403, "forbidden")  # national admins approve, sites import
