"""Each channel through its real client library to a local receiver that checks what it gets.

FCM: the real firebase-admin client against a LOCAL STAND-IN of the FCM v1 API (the real service
cannot be reached here). Web Push: pywebpush's real RFC 8291 encryption and RFC 8292 VAPID, to a
LOCAL STAND-IN push service that decrypts with http_ece and the subscription's private key.
E-mail: a real SMTP server (aiosmtpd) on loopback.
"""
from __future__ import annotations

import base64
import email
import email.policy
import json
import os
import uuid

import firebase_admin
import firebase_admin.messaging
import google.oauth2.credentials
import http_ece
import pytest
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from firebase_admin import credentials

from notifications.channels.email import SmtpChannel
from notifications.channels.fcm import FcmChannel
from notifications.channels.webpush import WebPushChannel
from notifications.outbox import delivery_stats, enqueue
from notifications.worker import Worker
from tests.notifications.conftest import free_port, json_answer, outbox_rows

APPT = dict(template="appointment_day_before", lang="vi",
            params={"person_name": "Trần Thị Bình", "site_name": "Trạm Y tế phường Hoàn Kiếm",
                    "date": "24/11/2026", "time": "08:30"})
TITLE_VI = "Nhắc lịch tiêm ngày mai"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- FCM ----------------------------------------------------------------------------------------
class StaticTokenCredential(credentials.Base):
    """A LOCAL STAND-IN for Google's OAuth token service (unreachable here): a fixed token."""

    def get_credential(self):
        return google.oauth2.credentials.Credentials(token="fcm-test-token")


@pytest.fixture
def fcm_stand_in(http_receiver, monkeypatch):
    """A LOCAL STAND-IN for the FCM v1 API: checks path, bearer token and message JSON."""
    def respond(req):
        assert req.path == "/v1/projects/ssk-test/messages:send"
        assert req.headers["authorization"] == "Bearer fcm-test-token"
        message = req.json()["message"]
        if message.get("token") == "gone-token":
            return json_answer(404, {"error": {
                "code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
                "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                             "errorCode": "UNREGISTERED"}]}})
        return json_answer(200, {"name": f"projects/ssk-test/messages/{len(receiver.requests)}"})

    receiver = http_receiver(respond)
    # The one line that points the SDK at the stand-in (a private attribute: fixture only).
    monkeypatch.setattr(firebase_admin.messaging._MessagingService, "FCM_URL",
                        receiver.url + "/v1/projects/{0}/messages:send")
    return receiver


def test_fcm_through_firebase_admin_to_a_local_stand_in(engine, clock, fcm_stand_in):
    with engine.begin() as conn:
        by_fid = enqueue(conn, dedupe_key="f1", channel="fcm", to={"fid": "fid-123"},
                         now=clock(), **APPT)
        by_token = enqueue(conn, dedupe_key="f2", channel="fcm", to="registration-token-9",
                           urgent=True, now=clock(), **APPT)
        gone = enqueue(conn, dedupe_key="f3", channel="fcm", to={"token": "gone-token"},
                       now=clock(), **APPT)
    channel = FcmChannel("ssk-test", credential=StaticTokenCredential(),
                         app_name=f"ssk-{uuid.uuid4().hex}")
    try:
        assert Worker(engine, {"fcm": channel}, clock=clock).run_once() == 3
    finally:
        channel.close()
    sent = {r.json()["message"].get("fid") or r.json()["message"]["token"]: r.json()["message"]
            for r in fcm_stand_in.requests}
    assert set(sent) == {"fid-123", "registration-token-9", "gone-token"}
    for target, mid in (("fid-123", by_fid), ("registration-token-9", by_token)):
        msg = sent[target]
        token = mid.replace("-", "")
        assert msg["notification"] == {"title": TITLE_VI, "body": msg["notification"]["body"]}
        assert "Trần Thị Bình" in msg["notification"]["body"]
        assert msg["data"] == {"outbox_id": mid, "template": "appointment_day_before"}
        assert msg["android"]["collapse_key"] == token
        assert msg["apns"]["headers"] == {"apns-collapse-id": token}
        assert msg["webpush"]["headers"] == {"Topic": token}
    assert sent["registration-token-9"]["android"]["priority"] == "high"
    rows = outbox_rows(engine)
    assert rows[by_fid].status == rows[by_token].status == "sent"
    assert rows[by_fid].provider_id.startswith("projects/ssk-test/messages/")
    # An unregistered token will never work again: dead at once, and staff can see why.
    assert (rows[gone].status, rows[gone].attempts) == ("dead", 1)
    with engine.connect() as conn:
        [dead] = delivery_stats(conn).dead
    assert dead.id == gone and "UnregisteredError" in dead.last_error


# -- Web Push -----------------------------------------------------------------------------------
class Browser:
    """The keys a browser makes for a PushSubscription (RFC 8291 §2): ours, for the test."""

    def __init__(self, endpoint: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        public = self.key.public_key().public_bytes(serialization.Encoding.X962,
                                                    serialization.PublicFormat.UncompressedPoint)
        self.subscription = {"endpoint": endpoint,
                             "keys": {"p256dh": b64u(public), "auth": b64u(self.auth)}}


def check_vapid(authorization: str, audience: str) -> dict:
    """RFC 8292 §3: `vapid t=<JWT ES256>, k=<application server public key>`; returns claims."""
    scheme, params = authorization.split(" ", 1)
    assert scheme == "vapid"
    fields = dict(p.strip().split("=", 1) for p in params.split(","))
    header_b64, claims_b64, sig_b64 = fields["t"].split(".")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(fields["k"]))
    sig = unb64u(sig_b64)
    public.verify(encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                       int.from_bytes(sig[32:], "big")),
                  f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    assert json.loads(unb64u(header_b64))["alg"] == "ES256"
    claims = json.loads(unb64u(claims_b64))
    assert claims["aud"] == audience
    return claims


def test_web_push_is_encrypted_to_the_subscription_and_decrypts_at_the_receiver(
        engine, clock, http_receiver):
    browsers: dict[str, Browser] = {}
    plaintexts = []

    def push_service(req):
        """A LOCAL STAND-IN for a browser push service (RFC 8030 §5): decrypts, answers 201."""
        name = req.path.rsplit("/", 1)[1]
        if name == "unsubscribed":
            return 410, {}, b"subscription expired"
        claims = check_vapid(req.headers["authorization"], service.url)
        assert claims["sub"] == "mailto:push@so-suc-khoe.test"
        assert req.headers["content-encoding"] == "aes128gcm"
        assert int(req.headers["ttl"]) > 0
        browser = browsers[name]
        plain = http_ece.decrypt(req.body, private_key=browser.key, auth_secret=browser.auth,
                                 version="aes128gcm")
        plaintexts.append((req.headers, json.loads(plain)))
        return 201, {"Location": f"{service.url}/msg/{len(plaintexts)}"}, b""

    service = http_receiver(push_service)
    browsers["phone-1"] = Browser(f"{service.url}/push/phone-1")
    gone = Browser(f"{service.url}/push/unsubscribed")
    vapid = ec.generate_private_key(ec.SECP256R1())
    vapid_raw = b64u(vapid.private_numbers().private_value.to_bytes(32, "big"))
    with engine.begin() as conn:
        mid = enqueue(conn, dedupe_key="w1", channel="webpush",
                      to=browsers["phone-1"].subscription, now=clock(), **APPT)
        gid = enqueue(conn, dedupe_key="w2", channel="webpush", to=gone.subscription,
                      now=clock(), **APPT)
    channel = WebPushChannel(vapid_raw, "mailto:push@so-suc-khoe.test")
    try:
        assert Worker(engine, {"webpush": channel}, clock=clock).run_once() == 2
    finally:
        channel.close()
    [(headers, payload)] = plaintexts
    assert payload["id"] == mid and payload["title"] == TITLE_VI
    assert payload["body"].startswith("Trần Thị Bình có lịch tiêm vào 08:30 ngày 24/11/2026")
    assert headers["topic"] == mid.replace("-", "") and len(headers["topic"]) == 32
    assert headers["urgency"] == "normal"
    rows = outbox_rows(engine)
    assert (rows[mid].status, rows[mid].provider_id) == ("sent", f"{service.url}/msg/1")
    # 410 Gone: the browser unsubscribed; retrying cannot help.
    assert (rows[gid].status, rows[gid].attempts, rows[gid].last_error) == \
        ("dead", 1, "push service answered 410")


# -- E-mail -------------------------------------------------------------------------------------
class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(
            envelope.original_content, policy=email.policy.default)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on loopback."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


def test_email_reaches_a_real_smtp_server_with_a_message_id_from_the_outbox_id(
        engine, clock, smtp_server):
    controller, mailbox = smtp_server
    with engine.begin() as conn:
        ids = [enqueue(conn, dedupe_key=f"m{i}", channel="email", to=f"citizen{i}@example.vn",
                       now=clock(), **APPT) for i in range(3)]
    channel = SmtpChannel(controller.hostname, controller.port, sender="no-reply@ssk.test",
                          message_id_domain="ssk.test")
    try:
        assert Worker(engine, {"email": channel}, clock=clock).run_once() == 3
    finally:
        channel.close()
    got = {msg["Message-ID"]: (rcpt, msg) for rcpt, msg in mailbox.messages}
    assert set(got) == {f"<{mid}@ssk.test>" for mid in ids}
    rcpt, msg = got[f"<{ids[0]}@ssk.test>"]
    assert rcpt == ["citizen0@example.vn"]
    assert msg["Subject"] == TITLE_VI
    assert msg["X-SSK-Outbox-Id"] == ids[0]
    assert msg["Content-Language"] == "vi"
    assert "Trạm Y tế phường Hoàn Kiếm" in msg.get_content()
    rows = outbox_rows(engine)
    assert all(rows[mid].status == "sent" and rows[mid].provider_id == f"<{mid}@ssk.test>"
               for mid in ids)
