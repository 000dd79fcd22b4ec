"""Profiles, CCCD rules, dependants, guardians, hand-over, QR, staff look-ups and the audit log."""
from __future__ import annotations

import pytest
import zxingcpp
from PIL import Image
import io

from tests.api.conftest import ApiClient, profile
from tests.api.staffing import staff_client
from tests.api.test_auth import problem


def test_profile_round_trip_with_official_address_names(citizen):
    p = citizen.person
    assert p["national_id"] == "001090012345" and p["relation"] == "self"
    assert p["address"]["province_name"] == "Thành phố Hà Nội"
    assert p["address"]["ward_name"] == "Phường Hoàn Kiếm"
    assert p["phone"] == "+84912345678"  # the proven sign-in phone by default


@pytest.mark.parametrize("overrides, field", [
    ({"national_id": "001090012345", "date_of_birth": "1991-05-17"}, "national_id"),  # year digits
    ({"national_id": "001190012345"}, "national_id"),  # digit 4 says female
    ({"national_id": "003090012345"}, "national_id"),  # 003 is no province
    ({"national_id": "00109001234"}, "national_id"),  # 11 digits
    ({"address": {"province_code": 1, "ward_code": 26740}}, "address.ward_code"),  # a HCM ward
    ({"address": {"province_code": 99}}, "address.province_code"),
    ({"date_of_birth": "2030-01-01", "national_id": None}, "date_of_birth"),
    ({"sex": "X"}, "sex"),
    ({"phone": "12345"}, "phone"),
])
def test_inconsistent_identity_is_a_422_and_changes_nothing(app, overrides, field):
    c = ApiClient(app)
    c.sign_in("0912000001")
    body = problem(c.put("/people/me", profile(**overrides)), 422)
    assert field in body["errors"], body
    assert c.get("/people").json == []


def test_id_number_is_one_person_across_the_system(citizen, app):
    c = ApiClient(app)
    c.sign_in("0912000002")
    problem(c.put("/people/me", profile(full_name="Ai Đó")), 409, "national-id-taken")
    assert c.get("/people").json == []


def test_vietnamese_and_english_problem_titles(app):
    c = ApiClient(app, lang="vi")
    c.sign_in("0912000003")
    body = problem(c.put("/people/me", profile(national_id="001190012345")), 422, "national-id-invalid")
    assert body["title"] == "Số CCCD không khớp với thông tin cá nhân"
    assert body["errors"]["national_id"] == ["Chữ số thứ 4 không khớp với giới tính."]


def test_patch_needs_the_current_version(citizen):
    pid = citizen.person["id"]
    r = citizen.get(f"/people/{pid}")
    etag = r.headers["ETag"]
    r = citizen.patch(f"/people/{pid}", {"address": {"province_code": 1, "ward_code": 4, "line": "2 Điện Biên Phủ"}},
                      headers={"If-Match": etag})
    assert r.status_code == 200 and r.json["address"]["ward_name"] == "Phường Ba Đình"
    problem(citizen.patch(f"/people/{pid}", {"full_name": "Khác"}, headers={"If-Match": etag}), 412, "version-mismatch")


def child(**kw):
    base = {"full_name": "Nguyễn Minh Khang", "date_of_birth": "2019-08-01", "sex": "M", "national_id": None,
            "relationship": "child", "address": {"province_code": 1, "ward_code": 70, "line": ""}}
    base.update(kw)
    return base


def parent(**kw):
    base = {"full_name": "Nguyễn Văn Bảo", "date_of_birth": "1950-03-09", "sex": "M",
            "national_id": "001050000777", "relationship": "parent", "phone": "0912777777",
            "address": {"province_code": 1, "ward_code": 70, "line": ""}}
    base.update(kw)
    return base


def test_dependants_child_without_id_and_parent_with_one(citizen):
    kid = citizen.post("/people/dependants", child())
    assert kid.status_code == 201, kid.json
    dad = citizen.post("/people/dependants", parent())
    assert dad.status_code == 201, dad.json
    people = citizen.get("/people").json
    assert [p["relation"] for p in people] == ["self", "dependant", "dependant"]
    assert {p["full_name"] for p in people[1:]} == {"Nguyễn Minh Khang", "Nguyễn Văn Bảo"}


def test_a_dependant_added_twice_is_a_conflict(citizen):
    assert citizen.post("/people/dependants", child()).status_code == 201
    problem(citizen.post("/people/dependants", child(full_name="nguyễn minh khang")), 409, "dependant-exists")
    assert citizen.post("/people/dependants", parent()).status_code == 201
    problem(citizen.post("/people/dependants", parent()), 409, "dependant-exists")
    assert len(citizen.get("/people").json) == 3


def test_resent_add_dependant_with_same_idempotency_key_replays(citizen):
    h = {"Idempotency-Key": "add-kid-0001"}
    first = citizen.post("/people/dependants", child(), headers=h)
    again = citizen.post("/people/dependants", child(), headers=h)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json["id"] == first.json["id"]
    problem(citizen.post("/people/dependants", child(full_name="Other Kid"), headers=h), 422, "idempotency-key-reused")
    assert len(citizen.get("/people").json) == 2


def test_citizen_a_can_never_read_or_change_b_or_bs_dependants(citizen, other_citizen):
    kid = other_citizen.post("/people/dependants", child(full_name="Trần Bé")).json
    for pid in (other_citizen.person["id"], kid["id"]):
        problem(citizen.get(f"/people/{pid}"), 403, "not-guardian")
        problem(citizen.patch(f"/people/{pid}", {"full_name": "Hacked"}, headers={"If-Match": '"1"'}), 403)
        problem(citizen.get(f"/people/{pid}/qr"), 403)
        problem(citizen.get(f"/people/{pid}/qr.svg"), 403)
        problem(citizen.post(f"/people/{pid}/qr/rotate"), 403)
        problem(citizen.get(f"/people/{pid}/guardians"), 403)
        problem(citizen.post(f"/people/{pid}/guardians", {"phone": "0912345678", "relationship": "parent"}), 403)
        problem(citizen.get(f"/people/{pid}/audit"), 403)
    assert other_citizen.get(f"/people/{kid['id']}").json["full_name"] == "Trần Bé"


def test_second_guardian_must_accept(app, citizen, other_citizen):
    kid = citizen.post("/people/dependants", child()).json
    r = citizen.post(f"/people/{kid['id']}/guardians", {"phone": "0987654321", "relationship": "parent"})
    assert r.status_code == 201 and r.json["status"] == "pending"
    problem(other_citizen.get(f"/people/{kid['id']}"), 403)  # not before accepting
    inv = other_citizen.get("/guardian-invitations").json
    assert len(inv) == 1 and inv[0]["person_name"] == "Nguyễn Minh Khang"
    assert inv[0]["invited_by_name"] == "Nguyễn Văn An"
    r = other_citizen.post(f"/guardian-invitations/{inv[0]['id']}/accept")
    assert r.status_code == 200 and r.json["relation"] == "dependant"
    assert other_citizen.get(f"/people/{kid['id']}").status_code == 200
    guardians = citizen.get(f"/people/{kid['id']}/guardians").json
    assert sorted(g["status"] for g in guardians) == ["active", "active"]
    # a guardian ends only their own link; the last one cannot leave a child without an account alone
    mine = next(g for g in guardians if g["is_me"])
    theirs = next(g for g in guardians if not g["is_me"])
    problem(citizen.delete(f"/people/{kid['id']}/guardians/{theirs['id']}"), 403)
    assert other_citizen.delete(f"/people/{kid['id']}/guardians/{theirs['id']}").status_code == 204
    problem(citizen.delete(f"/people/{kid['id']}/guardians/{mine['id']}"), 409, "last-guardian")


def test_invitation_for_someone_else_cannot_be_accepted(app, citizen, other_citizen):
    kid = citizen.post("/people/dependants", child()).json
    citizen.post(f"/people/{kid['id']}/guardians", {"phone": "0987654321", "relationship": "parent"})
    inv = other_citizen.get("/guardian-invitations").json[0]
    third = ApiClient(app)
    third.sign_in("0909090909")
    problem(third.post(f"/guardian-invitations/{inv['id']}/accept"), 404)


@pytest.mark.parametrize("keep", [True, False])
def test_dependant_claims_their_profile_with_a_code(app, citizen, keep):
    dad = citizen.post("/people/dependants", parent()).json
    me = ApiClient(app)
    me.sign_in("0912777777")
    problem(me.put("/people/me", profile(full_name="Nguyễn Văn Bảo", date_of_birth="1950-03-09",
                                         national_id="001050000777")), 409, "profile-claimable")
    problem(me.post("/people/claims", {"national_id": "001050000777", "date_of_birth": "1950-03-10"}), 422, "claim-invalid")
    claim = me.post("/people/claims", {"national_id": "001050000777", "date_of_birth": "1950-03-09"})
    assert claim.status_code == 201 and claim.json["phone_hint"] == "•••777"
    problem(me.post(f"/people/claims/{claim.json['id']}/confirm", {"code": "000000" if me.last_code("+84912777777") != "000000" else "111111"}), 422, "code-wrong")
    r = me.post(f"/people/claims/{claim.json['id']}/confirm", {"code": me.last_code("+84912777777"), "keep_guardians": keep})
    assert r.status_code == 200 and r.json["id"] == dad["id"] and r.json["relation"] == "self"
    assert me.get("/auth/me").json["person"]["id"] == dad["id"]
    assert (citizen.get(f"/people/{dad['id']}").status_code == 200) is keep


def test_personal_qr_is_opaque_signed_png_and_svg_decode_and_rotation_revokes(app, citizen):
    pid = citizen.person["id"]
    token = citizen.get(f"/people/{pid}/qr").json["token"]
    assert token.startswith("SSK1:")
    assert "Nguyễn" not in token and "001090012345" not in token and "NGUYEN" not in token
    png = citizen.get(f"/people/{pid}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [d.text for d in decoded] == [token]
    svg = citizen.get(f"/people/{pid}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert citizen.get(f"/people/{pid}/qr.png", headers={"If-None-Match": png.headers["ETag"]}).status_code == 304
    staff = staff_client(app, "0901000001", "site_staff", "HN-HK")
    assert staff.post("/staff/person-lookups", {"qr": token, "reason": "check-in"}).status_code == 200
    new = citizen.post(f"/people/{pid}/qr/rotate").json["token"]
    assert new != token
    problem(staff.post("/staff/person-lookups", {"qr": token, "reason": "check-in"}), 410, "qr-revoked")
    assert staff.post("/staff/person-lookups", {"qr": new, "reason": "check-in"}).json["person"]["id"] == pid


def test_forged_qr_is_refused(app, citizen):
    token = citizen.get(f"/people/{citizen.person['id']}/qr").json["token"]
    staff = staff_client(app, "0901000001", "site_staff", "HN-HK")
    forged = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    problem(staff.post("/staff/person-lookups", {"qr": forged, "reason": "check-in"}), 422, "qr-invalid")
    problem(staff.post("/staff/person-lookups", {"qr": "hello", "reason": "check-in"}), 422, "qr-invalid")


def test_staff_scope_and_every_read_is_audited(app, citizen, other_citizen):
    token = citizen.get(f"/people/{citizen.person['id']}/qr").json["token"]
    hanoi = staff_client(app, "0901000001", "site_staff", "HN-HK")
    hcm = staff_client(app, "0901000002", "site_staff", "HCM-SG")
    admin = staff_client(app, "0901000003", "national_admin", "VN")
    assert hanoi.post("/staff/person-lookups", {"qr": token, "reason": "check-in"}).status_code == 200
    problem(hcm.post("/staff/person-lookups", {"qr": token, "reason": "check-in"}), 403, "out-of-scope")
    assert hcm.post("/staff/person-lookups", {"national_id": "079185001234", "reason": "check-in"}).status_code == 200
    assert admin.post("/staff/person-lookups", {"phone": "0912345678", "reason": "audit"}).status_code == 200
    problem(hanoi.post("/staff/person-lookups", {"reason": "x y z"}), 422)
    events = citizen.get(f"/people/{citizen.person['id']}/audit").json
    lookups = [e for e in events if e["action"].startswith("person.lookup")]
    assert sorted(e["action"] for e in lookups) == ["person.lookup", "person.lookup", "person.lookup.refused"]
    assert {e["actor_account_id"] for e in lookups} == {hanoi.me["account_id"], hcm.me["account_id"], admin.me["account_id"]}
    assert all(e["reason"] for e in lookups)


def test_staff_role_needs_a_passkey_session(app, citizen):
    token = citizen.get(f"/people/{citizen.person['id']}/qr").json["token"]
    otp_staff = staff_client(app, "0901000001", "site_staff", "HN-HK", via="otp")
    assert otp_staff.me["staff_needs_passkey"] is True and otp_staff.me["roles"] == []
    problem(otp_staff.post("/staff/person-lookups", {"qr": token, "reason": "check-in"}), 403, "passkey-required")


def test_citizens_cannot_use_staff_endpoints(citizen, other_citizen):
    token = other_citizen.get(f"/people/{other_citizen.person['id']}/qr").json["token"]
    problem(citizen.post("/staff/person-lookups", {"qr": token, "reason": "curious"}), 403, "forbidden")
    problem(citizen.get(f"/audit-events?person_id={other_citizen.person['id']}"), 403)


def test_chip_card_qr_prefills_the_form(citizen):
    r = citizen.post("/cccd/parse", {"text": "001090012345|123456789|Nguyễn Văn An|17051990|Nam|1 Tràng Tiền, Hoàn Kiếm, Hà Nội|15082021"})
    assert r.status_code == 200
    assert r.json == {"national_id": "001090012345", "old_id": "123456789", "full_name": "Nguyễn Văn An",
                      "date_of_birth": "1990-05-17", "sex": "M", "address": "1 Tràng Tiền, Hoàn Kiếm, Hà Nội",
                      "issued_on": "2021-08-15"}
    problem(citizen.post("/cccd/parse", {"text": "not a card"}), 422, "cccd-qr-invalid")


def test_http_errors_are_problems(client, citizen):
    problem(client.get("/nope"), 404)
    problem(client.http.delete("/api/v1/places/provinces", headers={"Accept-Language": "en"}), 405)
    problem(client.get("/places/provinces/99/wards"), 404)
    problem(citizen.post("/people/dependants", data="not json", headers={"Content-Type": "application/json"}), 400)


def test_validator_messages_are_vietnamese_too(app):
    c = ApiClient(app, lang="vi")
    c.sign_in("0912000009")
    body = problem(c.put("/people/me", profile(full_name="A", sex="X", national_id="123")), 422, "validation-failed")
    assert body["errors"]["full_name"] == ["Độ dài phải từ 2 đến 120 ký tự."]
    assert body["errors"]["sex"] == ["Phải là một trong: M, F."]
    assert body["errors"]["national_id"] == ["Phải gồm đúng 12 chữ số."]


def test_site_staff_see_a_person_allocated_to_their_site_from_another_province(app, citizen):
    """A Hà Nội resident allocated to a Hồ Chí Minh City site can be checked in there."""
    from api.booking.models import Registration
    from api.catalog import service as catalog
    from api.db import db
    from tests.conftest import FIXED_NOW

    token = citizen.get(f"/people/{citizen.person['id']}/qr").json["token"]
    hcm = staff_client(app, "0901000002", "site_staff", "HCM-SG")
    problem(hcm.post("/staff/person-lookups", {"qr": token, "reason": "check-in"}), 403, "out-of-scope")
    with app.app_context(), db.sessions().begin() as session:  # setup: the province's allocation
        site = catalog.unit_by_code(session, "HCM-SG")
        session.add(Registration(person_id=citizen.person["id"], disease="covid-19", priority_group="other",
                                 preferred_province_code=79, status="allocated", allocated_unit_id=site.id,
                                 created_by=citizen.me["account_id"], created_at=FIXED_NOW, updated_at=FIXED_NOW))
    r = hcm.post("/staff/person-lookups", {"qr": token, "reason": "check-in"})
    assert r.status_code == 200 and r.json["person"]["id"] == citizen.person["id"]
