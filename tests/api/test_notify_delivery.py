"""End to end: notify() → `flask notifications worker --once` (the real notifications.worker.Worker
and channels) → a real SMTP server (aiosmtpd on loopback) and a LOCAL STAND-IN push service that
decrypts what it gets with the subscription's private key (RFC 8291) and checks the VAPID
signature against the key the API publishes → the inbox shows the message.

The e-mail address is proven the same way a person would: the code arrives over SMTP.
"""
from __future__ import annotations

import email
import email.policy
import json
import re

import http_ece
import pytest
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from api.notify.vapid import unb64u
from tests.api.test_notify_fanout import (APPT, Browser, add_child, call_notify, outbox,
                                          save_settings)
from tests.notifications.conftest import free_port, http_receiver  # noqa: F401  (fixture)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(
            envelope.original_content, policy=email.policy.default)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(monkeypatch):
    """A real SMTP server on loopback; the worker finds it through SSK_SMTP_HOST/PORT."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("SSK_SMTP_HOST", controller.hostname)
    monkeypatch.setenv("SSK_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("SSK_SMTP_FROM", "no-reply@ssk.test")
    for name in ("SSK_FCM_PROJECT", "SSK_VAPID_PRIVATE_KEY", "SSK_SMS_GATEWAY_URL"):
        monkeypatch.delenv(name, raising=False)
    yield mailbox
    controller.stop()


def vapid_claims(authorization: str, public_key: str, audience: str) -> dict:
    """RFC 8292 §3: `vapid t=<ES256 JWT>, k=<key>`; the key must be the one the API published."""
    scheme, params = authorization.split(" ", 1)
    assert scheme == "vapid"
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    assert fields["k"] == public_key
    header, claims, sig = fields["t"].split(".")
    raw = unb64u(sig)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(public_key))
    key.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
               f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    body = json.loads(unb64u(claims))
    assert body["aud"] == audience
    return body


def run_worker(app) -> str:
    result = app.test_cli_runner().invoke(args=["notifications", "worker", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def test_notify_reaches_smtp_web_push_and_the_inbox(app, citizen, smtp, http_receiver):  # noqa: F811
    public_key = citizen.get("/vapid-public-key").json["public_key"]
    browsers: dict[str, Browser] = {}
    pushed = []

    def push_service(req):
        """A LOCAL STAND-IN for a browser push service (RFC 8030 §5): decrypt, answer 201/410."""
        name = req.path.rsplit("/", 1)[1]
        if name not in browsers:
            return 410, {}, b"unsubscribed"
        claims = vapid_claims(req.headers["authorization"], public_key, service.url)
        assert claims["sub"].startswith("mailto:")
        browser = browsers[name]
        plain = http_ece.decrypt(req.body, private_key=browser.key, auth_secret=browser.auth,
                                 version="aes128gcm")
        pushed.append((req.headers, json.loads(plain)))
        return 201, {"Location": f"{service.url}/msg/{len(pushed)}"}, b""

    service = http_receiver(push_service)
    browsers["phone"] = Browser(f"{service.url}/push/phone")
    assert citizen.post("/push-subscriptions", browsers["phone"].subscription).status_code == 201
    gone = Browser(f"{service.url}/push/old-laptop")  # unsubscribed since: the service says 410
    assert citizen.post("/push-subscriptions", gone.subscription).status_code == 201

    # 1. E-mail: the code goes out over SMTP; the citizen types it back.
    save_settings(citizen, email=True, email_address="an.nguyen@example.vn")
    assert "claimed 1 message(s)" in run_worker(app)
    [(rcpt, code_mail)] = smtp.messages
    assert rcpt == ["an.nguyen@example.vn"]
    code = re.search(r"\b(\d{6})\b", code_mail.get_content()).group(1)
    assert citizen.post("/notification-settings/email-verification",
                        {"code": code}).json["email_verified"] is True

    # 2. A reminder about the citizen's child, sent by a domain in its own transaction.
    kid = add_child(citizen)
    ids = call_notify(app, person_id=kid["id"], template="appointment_day_before", params=APPT,
                      dedupe_key="appt-day-before:b42:20261124T0830")
    assert len(ids) == 4  # inbox, two browsers, e-mail
    run_worker(app)

    [(_, mail)] = smtp.messages[1:]
    assert mail["Subject"] == "Nhắc lịch tiêm ngày mai"
    assert "Nguyễn Minh Khang có lịch tiêm vào 08:30 ngày 24/11/2026" in mail.get_content()
    [(headers, payload)] = pushed
    by_channel = {r.channel: r for r in outbox(app) if r.template == "appointment_day_before"
                  and r.channel != "webpush"}
    push_rows = {r.recipient["endpoint"].rsplit("/", 1)[1]: r
                 for r in outbox(app, channel="webpush")}
    assert payload == {"id": push_rows["phone"].id, "template": "appointment_day_before",
                       "title": "Nhắc lịch tiêm ngày mai", "body": mail.get_content().strip(),
                       "urgent": False}
    assert headers["topic"] == push_rows["phone"].id.replace("-", "")
    assert mail["X-SSK-Outbox-Id"] == by_channel["email"].id
    assert {k: r.status for k, r in push_rows.items()} == {"phone": "sent", "old-laptop": "dead"}
    assert push_rows["old-laptop"].last_error == "push service answered 410"
    assert {r.status for r in by_channel.values()} == {"sent"}

    [item] = citizen.get("/inbox").json["items"]
    assert (item["id"], item["title"], item["person"]["full_name"], item["read_at"]) == \
        (by_channel["inbox"].id, "Nhắc lịch tiêm ngày mai", "Nguyễn Minh Khang", None)
    # The service worker opens the app with the push payload's id: it finds the inbox message.
    opened = citizen.post(f"/inbox/{payload['id']}/read").json
    assert opened["id"] == item["id"] and opened["read_at"] is not None
    assert citizen.get("/inbox").json["unread"] == 0

    # 3. The scheduler runs the same reminder again: nothing new is sent anywhere.
    assert call_notify(app, person_id=kid["id"], template="appointment_day_before", params=APPT,
                       dedupe_key="appt-day-before:b42:20261124T0830") == []
    assert "claimed 0 message(s)" in run_worker(app)
    assert len(smtp.messages) == 2 and len(pushed) == 1


def test_the_worker_command_uses_the_console_sms_file_in_embedded_mode(app, citizen, monkeypatch):
    for name in ("SSK_SMTP_HOST", "SSK_FCM_PROJECT", "SSK_SMS_GATEWAY_URL", "SSK_SMS_OUTBOX",
                 "SSK_VAPID_PRIVATE_KEY"):
        monkeypatch.delenv(name, raising=False)
    save_settings(citizen, sms=True)
    call_notify(app, person_id=citizen.person["id"], template="certificate_ready",
                params={"person_name": "Nguyễn Văn An"}, dedupe_key="cert:sms")
    result = app.test_cli_runner().invoke(args=["notifications", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "channels inbox, sms, webpush" in result.output
    with open(f"{app.instance_path}/outbox-sms.log", encoding="utf-8") as f:
        last = f.read().splitlines()[-1].split("\t")
    assert last[1:] == ["+84912345678", "Chứng nhận tiêm chủng đã sẵn sàng: Chứng nhận tiêm chủng "
                        "của Nguyễn Văn An đã có trong ứng dụng Sổ Sức Khỏe."]
    assert {r.status for r in outbox(app)} == {"sent"}
