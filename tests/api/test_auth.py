"""Sign-in: codes, rate limits, passkeys (real ceremonies), sessions, CSRF."""
from __future__ import annotations

import pytest

from tests.api.conftest import ApiClient, profile
from tests.softauthn import SoftAuthenticator


def problem(r, status, slug=None):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert r.headers["Content-Type"].startswith("application/problem+json")
    body = r.json
    assert body["status"] == status and body["title"] and body["request_id"]
    if slug:
        assert body["type"] == f"/problems/{slug}", body
    return body


@pytest.mark.parametrize("raw", ["0912345678", "+84912345678", "84912345678", "0912 345 678", "+84 91 234 5678"])
def test_vietnamese_phone_formats_become_e164(client, raw):
    r = client.post("/auth/otp", {"phone": raw})
    assert r.status_code == 202, r.json
    assert r.json["phone"] == "+84912345678"


@pytest.mark.parametrize("raw", ["12345", "0912", "abc", "+1 555", "09123456789012"])
def test_malformed_phone_is_a_422_with_field_message(client, raw):
    body = problem(client.post("/auth/otp", {"phone": raw}), 422, "invalid-phone")
    assert "phone" in body["errors"]


def test_missing_field_is_a_422_in_vietnamese_too(app):
    c = ApiClient(app, lang="vi")
    body = problem(c.post("/auth/otp", {}), 422, "validation-failed")
    assert body["title"] == "Dữ liệu gửi lên không hợp lệ"
    assert body["errors"]["phone"] == ["Thiếu dữ liệu bắt buộc."]


def test_code_is_stored_hashed_and_wrong_code_costs_a_try(app, client):
    r = client.post("/auth/otp", {"phone": "0912345678"})
    cid = r.json["challenge_id"]
    code = client.last_code("+84912345678")
    from api.auth.models import OtpChallenge
    from api.db import db

    with app.app_context(), db.reads().begin() as s:
        row = s.get(OtpChallenge, cid)
        assert code not in row.code_hash and len(row.code_hash) == 64
    wrong = "000000" if code != "000000" else "111111"
    body = problem(client.post("/auth/otp/verify", {"challenge_id": cid, "code": wrong}), 422, "code-wrong")
    assert body["tries_left"] == 4
    assert client.post("/auth/otp/verify", {"challenge_id": cid, "code": code}).status_code == 200


def test_five_wrong_tries_lock_the_code_even_the_right_one(client):
    cid = client.post("/auth/otp", {"phone": "0912345678"}).json["challenge_id"]
    code = client.last_code("+84912345678")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        problem(client.post("/auth/otp/verify", {"challenge_id": cid, "code": wrong}), 422, "code-wrong")
    problem(client.post("/auth/otp/verify", {"challenge_id": cid, "code": code}), 429, "too-many-tries")


def test_code_expires_after_five_minutes(client, clock):
    cid = client.post("/auth/otp", {"phone": "0912345678"}).json["challenge_id"]
    code = client.last_code("+84912345678")
    clock.advance(minutes=5, seconds=1)
    problem(client.post("/auth/otp/verify", {"challenge_id": cid, "code": code}), 422, "code-expired")


def test_code_is_single_use(client):
    cid = client.post("/auth/otp", {"phone": "0912345678"}).json["challenge_id"]
    code = client.last_code("+84912345678")
    assert client.post("/auth/otp/verify", {"challenge_id": cid, "code": code}).status_code == 200
    problem(client.post("/auth/otp/verify", {"challenge_id": cid, "code": code},
                        headers={"X-CSRF-Token": client.http.get_cookie("ssk_csrf").value}), 422, "code-expired")


def test_codes_are_rate_limited_per_phone_with_retry_after(client, clock):
    for _ in range(5):
        assert client.post("/auth/otp", {"phone": "0912345678"}).status_code == 202
        clock.advance(minutes=1)
    r = client.post("/auth/otp", {"phone": "0912345678"})
    problem(r, 429, "rate-limited")
    assert 0 < int(r.headers["Retry-After"]) <= 3600
    clock.advance(hours=1)
    assert client.post("/auth/otp", {"phone": "0912345678"}).status_code == 202


def test_codes_are_rate_limited_per_address(client):
    for i in range(30):
        assert client.post("/auth/otp", {"phone": f"09123456{i:02d}"}).status_code == 202
    problem(client.post("/auth/otp", {"phone": "0987000000"}), 429, "rate-limited")


def test_signed_out_requests_get_401(client):
    problem(client.get("/auth/me"), 401, "not-signed-in")
    problem(client.get("/people"), 401, "not-signed-in")


def test_writes_without_csrf_token_are_refused(citizen):
    citizen.csrf = None
    problem(citizen.put("/people/me", profile()), 403, "csrf-failed")
    problem(citizen.post("/auth/logout"), 403, "csrf-failed")


def test_session_cookie_is_httponly_and_samesite(app):
    c = ApiClient(app)
    cid = c.post("/auth/otp", {"phone": "0912345678"}).json["challenge_id"]
    r = c.post("/auth/otp/verify", {"challenge_id": cid, "code": c.last_code("+84912345678")})
    cookies = r.headers.getlist("Set-Cookie")
    session = next(h for h in cookies if h.startswith("ssk_session="))
    assert "HttpOnly" in session and "SameSite=Lax" in session
    assert "Secure" not in session  # http://localhost in embedded mode; https origins make it Secure
    csrf = next(h for h in cookies if h.startswith("ssk_csrf="))
    assert "HttpOnly" not in csrf


def test_logout_and_session_revocation(app, citizen):
    second = ApiClient(app)
    second.sign_in("0912345678")
    sessions = citizen.get("/auth/sessions").json
    assert len(sessions) == 2 and sum(s["current"] for s in sessions) == 1
    other = next(s for s in sessions if not s["current"])
    assert citizen.delete(f"/auth/sessions/{other['id']}").status_code == 204
    problem(second.get("/auth/me"), 401)
    assert citizen.post("/auth/logout").status_code == 204
    problem(citizen.get("/auth/me"), 401)


def register_passkey(c: ApiClient, authenticator: SoftAuthenticator, name="Phone") -> dict:
    opts = c.post("/auth/passkeys/options").json
    cred = authenticator.create(opts["public_key"])
    r = c.post("/auth/passkeys", {"challenge_id": opts["challenge_id"], "credential": cred, "name": name})
    assert r.status_code == 201, r.json
    return r.json


def passkey_login(app, authenticator: SoftAuthenticator, **kw):
    c = ApiClient(app)
    opts = c.post("/auth/passkey-login/options").json
    r = c.post("/auth/passkey-login", {"challenge_id": opts["challenge_id"],
                                       "credential": authenticator.get(opts["public_key"], **kw)})
    if r.status_code == 200:
        c.csrf, c.me = r.json["csrf_token"], r.json
    return c, r


def test_passkey_register_sign_in_list_and_revoke(app, citizen):
    a, b = SoftAuthenticator(), SoftAuthenticator()
    pk = register_passkey(citizen, a, "Phone")
    register_passkey(citizen, b, "Laptop")
    assert [p["name"] for p in citizen.get("/auth/passkeys").json] == ["Phone", "Laptop"]
    c, r = passkey_login(app, a)
    assert r.status_code == 200 and r.json["via"] == "passkey"
    assert r.json["person"]["id"] == citizen.person["id"]
    assert citizen.delete(f"/auth/passkeys/{pk['id']}").status_code == 204
    _, r = passkey_login(app, a)
    problem(r, 401, "passkey-unknown")
    assert passkey_login(app, b)[1].status_code == 200


def test_passkey_sign_count_that_goes_back_is_refused(app, citizen):
    a = SoftAuthenticator()
    register_passkey(citizen, a)
    assert passkey_login(app, a, counter=10)[1].status_code == 200
    problem(passkey_login(app, a, counter=10)[1], 422, "passkey-failed")  # a cloned authenticator


def test_passkey_from_another_origin_is_refused(app, citizen):
    a = SoftAuthenticator()
    register_passkey(citizen, a)
    problem(passkey_login(app, a, origin="https://evil.example")[1], 422, "passkey-failed")


def test_passkey_challenge_is_single_use(app, citizen):
    a = SoftAuthenticator()
    register_passkey(citizen, a)
    c = ApiClient(app)
    opts = c.post("/auth/passkey-login/options").json
    cred = a.get(opts["public_key"])
    assert c.post("/auth/passkey-login", {"challenge_id": opts["challenge_id"], "credential": cred}).status_code == 200
    c2 = ApiClient(app)
    problem(c2.post("/auth/passkey-login", {"challenge_id": opts["challenge_id"], "credential": cred}), 422, "passkey-failed")
