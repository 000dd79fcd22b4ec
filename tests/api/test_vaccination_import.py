"""CSV import of historical doses: all rows or none, a per-row report, a second approver."""
from __future__ import annotations

from datetime import date

from api.vaccination.models import DoseImport, DoseRecord
from tests.api.test_auth import problem
from tests.api.test_vaccination_support import count, person, snapshot, staff, unit_id

HEADER = "national_id,date_of_birth,product_code,administered_on,lot_number,dose_number,site_code,site_name\n"


def upload(client, text: str, name: str = "doses.csv", *, lang: str = "en"):
    return client.http.post("/api/v1/dose-imports", data=text.encode(), content_type="text/csv",
                            headers={"X-CSRF-Token": client.csrf, "Accept-Language": lang, "X-File-Name": name})


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


def test_row_reasons_have_a_stable_code_and_the_text_in_the_language_asked_for(app):
    a = staff(app, "site_staff", "HN-HK")
    x = person(app, name="Người X", dob=date(1980, 1, 2))
    csv = HEADER + (f"{x['national_id']},1980-01-02,astrazeneca,2021-08-01,,,,\n"
                    f"{x['national_id']},1981-01-02,vaccine-x,2021-10-20,,,,\n")
    vi = problem(upload(a, csv, lang="vi"), 422, "import-rejected")
    assert vi["title"] == "Một số dòng của tệp không hợp lệ: chưa nhập dòng nào"
    row = next(r for r in vi["rows"] if r["row"] == 3)
    assert row["errors"] == {"date_of_birth": ["Không khớp với ngày sinh của người này."],
                             "product_code": ["Mã vắc xin không tồn tại."]}
    assert [(r["field"], r["code"], r["severity"]) for r in row["reasons"]] == [
        ("date_of_birth", "dob_mismatch", "error"), ("product_code", "product_unknown", "error")]
    assert row["reasons"][1]["message"] == "Mã vắc xin không tồn tại."
    en = problem(upload(a, csv), 422, "import-rejected")
    row_en = next(r for r in en["rows"] if r["row"] == 3)
    assert [r["code"] for r in row_en["reasons"]] == ["dob_mismatch", "product_unknown"]
    assert row_en["errors"] == {"date_of_birth": ["Does not match the person."], "product_code": ["Unknown product code."]}
    # the file's own faults: codes and Vietnamese field messages too
    header = problem(upload(a, "name,when\nAn,2021-01-01\n", lang="vi"), 422, "import-rejected")
    assert [r["code"] for r in header["reasons"]] == ["columns_missing", "columns_unknown"]
    assert header["errors"]["header"] == ["Thiếu cột: date_of_birth, product_code, administered_on, national_id|person_id.",
                                          "Cột không đúng mẫu: name, when."]
    assert problem(upload(a, HEADER, lang="vi"), 422)["errors"] == {"file": ["Tệp không có dòng dữ liệu."]}
    # a warning on an accepted file, in Vietnamese, with its values as parameters
    ok = upload(a, HEADER + f"{x['national_id']},1980-01-02,astrazeneca,2021-08-01,,3,,\n", lang="vi")
    assert ok.status_code == 201, ok.json
    [accepted] = ok.json["rows"]
    assert accepted["warnings"] == ["Số mũi 3 khác với mũi thứ 1 theo lịch sử tiêm."]
    assert accepted["reasons"] == [{"field": "dose_number", "code": "dose_number_differs", "severity": "warning",
                                    "params": {"given": 3, "expected": 1},
                                    "message": "Số mũi 3 khác với mũi thứ 1 theo lịch sử tiêm."}]


def test_staff_list_the_imports_of_their_scope_newest_first(app, clock):
    a, b = staff(app, "site_staff", "HN-HK"), staff(app, "department_staff", "P01")
    saigon, hcm = staff(app, "site_staff", "HCM-SG"), staff(app, "department_staff", "P79")
    admin = staff(app, "national_admin", "VN")
    x = person(app, name="Người X", dob=date(1980, 1, 2))
    s = person(app, name="Người Sài Gòn", dob=date(1975, 5, 5), province=79)
    first = upload(a, HEADER + f"{x['national_id']},1980-01-02,astrazeneca,2021-08-01,,,,\n", "first.csv").json
    clock.advance(minutes=5)
    second = upload(a, HEADER + f"{x['national_id']},1980-01-02,astrazeneca,2021-10-20,,,,\n", "second.csv").json
    clock.advance(minutes=5)
    theirs = upload(saigon, HEADER + f"{s['national_id']},1975-05-05,moderna,2021-09-01,,,,\n", "sg.csv")
    assert theirs.status_code == 201, theirs.json
    theirs = theirs.json
    assert b.post(f"/dose-imports/{first['id']}/approve", {}).json["status"] == "approved"

    r = b.get("/dose-imports")
    assert r.status_code == 200, r.json
    assert r.json["total"] == 2 and [i["id"] for i in r.json["items"]] == [second["id"], first["id"]]
    item = r.json["items"][0]
    assert (item["file_name"], item["row_count"], item["status"], item["uploaded_by"]) == (
        "second.csv", 1, "pending_approval", a.account_id)
    assert item["unit"]["code"] == "HN-HK" and "rows" not in item and "doses" not in item
    # the second approver's queue: only what waits
    assert [i["id"] for i in b.get("/dose-imports?status=pending_approval").json["items"]] == [second["id"]]
    assert [i["id"] for i in a.get("/dose-imports?status=approved").json["items"]] == [first["id"]]
    # another province's staff see only theirs, and may not ask for a unit outside their scope
    assert [i["id"] for i in hcm.get("/dose-imports").json["items"]] == [theirs["id"]]
    assert [i["id"] for i in saigon.get("/dose-imports").json["items"]] == [theirs["id"]]
    problem(hcm.get(f"/dose-imports?unit_id={unit_id(app, 'HN-HK')}"), 403, "unit-out-of-scope")
    # national admins see every import; one unit (and below) on request; pages are bounded
    page = admin.get("/dose-imports?limit=2").json
    assert page["total"] == 3 and [i["id"] for i in page["items"]] == [theirs["id"], second["id"]]
    assert [i["id"] for i in admin.get("/dose-imports?limit=2&offset=2").json["items"]] == [first["id"]]
    assert [i["id"] for i in admin.get(f"/dose-imports?unit_id={unit_id(app, 'P01')}").json["items"]] == [
        second["id"], first["id"]]
    problem(admin.get("/dose-imports?limit=101"), 422, "validation-failed")
    problem(admin.get("/dose-imports?status=done"), 422, "validation-failed")


def test_only_staff_may_list_imports(app, client, citizen):
    problem(client.get("/dose-imports"), 401, "not-signed-in")
    problem(citizen.get("/dose-imports"), 403, "forbidden")
    problem(staff(app, "checkpoint_officer", None).get("/dose-imports"), 403, "forbidden")
