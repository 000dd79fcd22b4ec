"""Notification settings, e-mail verification, push subscriptions, FCM tokens, the VAPID key."""
from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from api.notify.service import PushPolicy, check_push_subscription
from api.notify.vapid import keys_from, unb64u
from api.problems import ValidationFailed
from tests.api.test_auth import problem
from tests.api.test_notify_fanout import SETTINGS, Browser, outbox, save_settings, subscribe


def test_defaults_until_saved_then_what_was_saved(citizen, other_citizen):
    got = citizen.get("/notification-settings").json
    assert got == {"push": True, "sms": False, "email": False, "email_address": None,
                   "email_verified": False, "language": "vi",
                   "quiet_hours": {"start": "21:00", "end": "07:00"},
                   "time_zone": "Asia/Ho_Chi_Minh", "sms_phone_hint": "•••678",
                   "devices": {"webpush": 0, "fcm": 0}, "email_code_sent": False}
    saved = save_settings(citizen, sms=True, language="en", quiet_hours=None,
                          time_zone="Asia/Bangkok")
    assert citizen.get("/notification-settings").json == saved
    assert other_citizen.get("/notification-settings").json["sms"] is False  # per account
    assert (saved["sms"], saved["language"], saved["quiet_hours"], saved["time_zone"]) == \
        (True, "en", None, "Asia/Bangkok")


MALFORMED_SETTINGS = [
    ({"quiet_hours": {"start": "25:00", "end": "07:00"}}, "quiet_hours.start"),
    ({"quiet_hours": {"start": "9pm", "end": "07:00"}}, "quiet_hours.start"),
    ({"quiet_hours": {"start": "21:00"}}, "quiet_hours.end"),
    ({"quiet_hours": {"start": "07:00", "end": "07:00"}}, "quiet_hours"),
    ({"quiet_hours": "21:00-07:00"}, "quiet_hours._schema"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"language": "fr"}, "language"),
    ({"email": True}, "email_address"),
    ({"email": True, "email_address": "not an address"}, "email_address"),
    ({"push": "sometimes"}, "push"),
]


def test_malformed_settings_are_a_422_problem_and_change_nothing(citizen):
    for changes, field in MALFORMED_SETTINGS:
        body = problem(citizen.put("/notification-settings", {**SETTINGS, **changes}), 422,
                       "validation-failed")
        assert field in body["errors"], (changes, body)
    # "No quiet hours" is said (null), never assumed from a missing field.
    no_quiet = {k: v for k, v in SETTINGS.items() if k != "quiet_hours"}
    problem(citizen.put("/notification-settings", no_quiet), 422, "validation-failed")
    assert citizen.get("/notification-settings").json["quiet_hours"] == {"start": "21:00",
                                                                         "end": "07:00"}


def email_code(app, address: str) -> str:
    rows = [r for r in outbox(app, channel="email", template="otp_code") if r.recipient == address]
    return max(rows, key=lambda r: r.created_at).params["code"]


def test_an_email_address_is_used_only_after_its_code_comes_back(app, citizen, clock):
    saved = save_settings(citizen, email=True, email_address="an.nguyen@Example.VN")
    assert saved["email_address"] == "an.nguyen@example.vn"
    assert (saved["email_verified"], saved["email_code_sent"]) == (False, True)
    code = email_code(app, "an.nguyen@example.vn")
    [sent] = outbox(app, channel="email")
    assert sent.params == {"code": code, "minutes": 30} and sent.person_id is None
    wrong = "000000" if code != "000000" else "111111"
    problem(citizen.post("/notification-settings/email-verification", {"code": wrong}), 422,
            "email-code-wrong")
    problem(citizen.post("/notification-settings/email-verification", {"code": "12"}), 422,
            "validation-failed")
    ok = citizen.post("/notification-settings/email-verification", {"code": code})
    assert ok.status_code == 200 and ok.json["email_verified"] is True
    # Saving the same address again keeps it verified; a new one starts over.
    assert save_settings(citizen, email=True, email_address="an.nguyen@example.vn")["email_verified"]
    again = save_settings(citizen, email=True, email_address="an@example.vn")
    assert (again["email_verified"], again["email_code_sent"]) == (False, True)
    problem(citizen.post("/notification-settings/email-code"), 429, "too-many-requests")
    clock.advance(minutes=31)
    problem(citizen.post("/notification-settings/email-verification",
                         {"code": email_code(app, "an@example.vn")}), 422, "email-code-expired")
    r = citizen.post("/notification-settings/email-code")
    assert r.status_code == 202 and r.json == {"sent_to": "an@example.vn"}
    assert citizen.post("/notification-settings/email-verification",
                        {"code": email_code(app, "an@example.vn")}).json["email_verified"]


def test_five_wrong_email_codes_end_the_code(app, citizen):
    save_settings(citizen, email=True, email_address="an@example.vn")
    code = email_code(app, "an@example.vn")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        problem(citizen.post("/notification-settings/email-verification", {"code": wrong}), 422,
                "email-code-wrong")
    problem(citizen.post("/notification-settings/email-verification", {"code": code}), 429,
            "too-many-tries")


def test_push_subscriptions_one_per_browser_listed_and_removed(citizen, other_citizen):
    phone = subscribe(citizen, "https://fcm.googleapis.com/fcm/send/phone")
    assert phone["push_service"] == "https://fcm.googleapis.com"
    assert set(phone) == {"id", "push_service", "user_agent", "created_at", "updated_at"}
    again = subscribe(citizen, "https://fcm.googleapis.com/fcm/send/phone")  # keys refreshed
    assert again["id"] == phone["id"]
    subscribe(citizen, "https://web.push.apple.com/QGx-ipad")
    assert len(citizen.get("/push-subscriptions").json) == 2
    assert citizen.get("/notification-settings").json["devices"] == {"webpush": 2, "fcm": 0}
    # Someone else signs in on the same browser: the subscription moves, it is not shared.
    moved = subscribe(other_citizen, "https://fcm.googleapis.com/fcm/send/phone")
    assert moved["id"] == phone["id"]
    assert [s["push_service"] for s in citizen.get("/push-subscriptions").json] == \
        ["https://web.push.apple.com"]
    problem(citizen.delete(f"/push-subscriptions/{phone['id']}"), 404, "not-found")
    assert other_citizen.delete(f"/push-subscriptions/{phone['id']}").status_code == 204
    assert other_citizen.get("/push-subscriptions").json == []
    # At most ten devices an account: the oldest go first.
    for i in range(12):
        subscribe(other_citizen, f"https://fcm.googleapis.com/fcm/send/device-{i}")
    assert len(other_citizen.get("/push-subscriptions").json) == 10


BAD_SUBSCRIPTIONS = [
    (lambda s: s.update(endpoint="not a url"), "endpoint"),
    (lambda s: s.update(endpoint="ftp://push.example/x"), "endpoint"),
    (lambda s: s.update(endpoint=""), "endpoint"),
    (lambda s: s.pop("keys"), "keys"),
    (lambda s: s["keys"].pop("p256dh"), "keys.p256dh"),
    (lambda s: s["keys"].pop("auth"), "keys.auth"),
    (lambda s: s["keys"].update(p256dh="BAAA"), "keys.p256dh"),
    (lambda s: s["keys"].update(p256dh="not*base64"), "keys.p256dh"),
    (lambda s: s["keys"].update(auth="c2hvcnQ"), "keys.auth"),
    (lambda s: s.update(colour="blue"), "colour"),
]


def test_a_bad_subscription_is_a_422_problem(citizen):
    for mutate, field in BAD_SUBSCRIPTIONS:
        sub = Browser("https://fcm.googleapis.com/fcm/send/x").subscription
        mutate(sub)
        body = problem(citizen.post("/push-subscriptions", sub), 422, "validation-failed")
        assert field in body["errors"], (sub, body)
    assert citizen.get("/push-subscriptions").json == []


def test_production_sends_only_to_known_push_services_over_https():
    keys = Browser("x").subscription["keys"]
    policy = PushPolicy()
    check_push_subscription("https://fcm.googleapis.com/fcm/send/a", keys["p256dh"],
                            keys["auth"], policy)
    check_push_subscription("https://wns2-par02p.notify.windows.com/w/?token=a",
                            keys["p256dh"], keys["auth"], policy)
    for endpoint in ("http://fcm.googleapis.com/fcm/send/a", "https://10.0.0.5/admin",
                     "https://evil.example/fcm.googleapis.com", "https://notify.windows.com.evil.vn/"):
        with pytest.raises(ValidationFailed) as info:
            check_push_subscription(endpoint, keys["p256dh"], keys["auth"], policy)
        assert "endpoint" in info.value.errors


def test_fcm_tokens_registered_moved_and_removed(citizen, other_citizen):
    r = citizen.post("/fcm-tokens", {"token": "dQw4w9WgXcQ:APA91bH-token-0123456789",
                                     "platform": "android"})
    assert r.status_code == 201 and set(r.json) == {"id", "platform", "created_at", "updated_at"}
    assert citizen.get("/notification-settings").json["devices"] == {"webpush": 0, "fcm": 1}
    problem(citizen.post("/fcm-tokens", {"token": "short", "platform": "android"}), 422)
    problem(citizen.post("/fcm-tokens", {"token": "x" * 40, "platform": "symbian"}), 422)
    problem(citizen.post("/fcm-tokens", {"token": "has spaces in it " * 3, "platform": "ios"}), 422)
    moved = other_citizen.post("/fcm-tokens", {"token": "dQw4w9WgXcQ:APA91bH-token-0123456789",
                                               "platform": "android"}).json
    assert moved["id"] == r.json["id"] and citizen.get("/fcm-tokens").json == []
    problem(citizen.delete(f"/fcm-tokens/{moved['id']}"), 404)
    assert other_citizen.delete(f"/fcm-tokens/{moved['id']}").status_code == 204


def test_the_vapid_key_is_public_and_everything_else_needs_a_session(app, client):
    r = client.get("/vapid-public-key")
    assert r.status_code == 200
    point = unb64u(r.json["public_key"])
    assert len(point) == 65 and point[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    assert client.get("/vapid-public-key").json == r.json
    kept = os.path.join(app.instance_path, "vapid_private_key")
    assert os.stat(kept).st_mode & 0o777 == 0o600
    with open(kept) as f:
        assert keys_from(f.read()).public_key == r.json["public_key"]
    shown = app.test_cli_runner().invoke(args=["notifications", "vapid-key"])
    assert shown.output.strip() == r.json["public_key"]
    fresh = app.test_cli_runner().invoke(args=["notifications", "vapid-key", "--new"]).output
    private = fresh.split("\n")[0].removeprefix("SSK_VAPID_PRIVATE_KEY=")
    assert fresh.split("\n")[1] == f"# public key: {keys_from(private).public_key}"
    problem(client.get("/notification-settings"), 401, "not-signed-in")
    problem(client.post("/push-subscriptions", Browser("https://fcm.googleapis.com/x").subscription),
            401)
    problem(client.get("/inbox"), 401, "not-signed-in")
    # Production without SSK_VAPID_PRIVATE_KEY: push is off, said plainly.
    from dataclasses import replace

    app.extensions["ssk_settings"] = replace(app.extensions["ssk_settings"],
                                             environment="production")
    app.extensions.pop("ssk_vapid")
    problem(client.get("/vapid-public-key"), 503, "push-unavailable")
