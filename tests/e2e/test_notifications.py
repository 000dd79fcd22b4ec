"""Notifications end to end (issue 6): the settings round trip, the in-app inbox with messages the
server wrote for the account and for a dependant (badge, mark read, read all, offline from the
device's copy), and the service worker's push handler.

Headless Chromium here cannot subscribe to a real push service (../shared/FACTS.md), so
`pushManager.subscribe()` is not exercised; the push handler is fired with the DevTools
protocol's `ServiceWorker.deliverPushMessage` and the payload notifications/channels/webpush.py
sends, and the notification it shows is read back with `registration.getNotifications()`."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from .conftest import ROOT, _env
from .flows import fill_person, sign_in_with_code

pytestmark = pytest.mark.e2e

CITIZEN = ("0904 222 333", "+84904222333")

# Writes inbox messages the way a domain does: api.notify.service.notify() in a transaction.
NOTIFY = """
import json, sys
from api import clock
from api.db import db
from api.notify.service import notify
from wsgi import app
with app.app_context():
    for m in json.loads(sys.argv[1]):
        with db.sessions().begin() as session:
            notify(session, person_id=m["person_id"], template=m["template"], params=m["params"],
                   dedupe_key=m["key"], now=clock.now())
"""


def server_notifies(server, messages: list[dict]) -> None:
    subprocess.run([sys.executable, "-c", NOTIFY, json.dumps(messages)], cwd=ROOT,
                   env=_env(server.instance, server.port), check=True, capture_output=True, text=True,
                   timeout=120)


def test_settings_inbox_and_the_push_handler(server, new_context, shots):
    ctx = new_context()
    page = ctx.new_page()
    sign_in_with_code(page, server, *CITIZEN)
    page.get_by_role("heading", name="Tạo hồ sơ của bạn").wait_for()
    fill_person(page, name="Trần Thị Mai", dob="1988-03-14", sex="Nữ", province="Hà Nội")
    page.get_by_role("button", name="Tạo hồ sơ").click()
    page.get_by_role("link", name="Để sau").click()
    page.goto("/#/dependants/new")
    fill_person(page, name="Nguyễn Minh Khang", dob="2019-06-02", sex="Nam", province="Hà Nội",
                relationship="Con")
    page.get_by_role("button", name="Thêm", exact=True).click()
    page.get_by_role("heading", name="Nguyễn Minh Khang").wait_for()

    # 1. settings: defaults, then SMS on, English messages, quiet hours 22:00-06:30; saved and back
    page.goto("/#/notifications")
    page.get_by_role("heading", name="Cài đặt thông báo").wait_for()
    page.get_by_label("Tin nhắn SMS").check()
    page.get_by_role("radio", name="English").check()
    page.get_by_label("Bật giờ yên lặng").check()  # on by default: stays on
    page.get_by_label("Từ").fill("22:00")
    page.get_by_label("Đến").fill("06:30")
    page.get_by_role("button", name="Lưu").click()
    page.get_by_text("Đã lưu cài đặt thông báo.").wait_for()
    saved = page.evaluate("fetch('/api/v1/notification-settings').then((r) => r.json())")
    assert saved["sms"] is True and saved["language"] == "en"
    assert saved["quiet_hours"] == {"start": "22:00", "end": "06:30"}
    page.reload()
    page.get_by_role("heading", name="Cài đặt thông báo").wait_for()
    page.wait_for_function("document.getElementById('ns-sms')?.checked === true")
    assert page.get_by_label("Từ").input_value() == "22:00"
    assert page.get_by_role("radio", name="English").is_checked()

    # quiet hours that start when they end: the server's 422 beside the field
    page.get_by_label("Đến").fill("22:00")
    page.get_by_role("button", name="Lưu").click()
    page.locator("#ns-quiet_end-err").wait_for()

    # e-mail: a new address needs the 6-digit code the server mailed; a wrong one is refused
    page.get_by_label("Đến").fill("06:30")
    page.get_by_label("Thư điện tử (e-mail)").check()
    page.get_by_label("Địa chỉ e-mail").fill("mai@example.vn")
    page.get_by_role("button", name="Lưu").click()
    page.get_by_text("Mã xác nhận đã được gửi tới mai@example.vn").wait_for()
    page.get_by_role("heading", name="Xác nhận địa chỉ e-mail").wait_for()
    page.get_by_label("Mã xác nhận e-mail").fill("000000")
    page.get_by_role("button", name="Xác nhận e-mail").click()
    page.locator("#ns-code-err").wait_for()
    shots(page, "60-notification-settings")

    # 2. the server writes messages: one about the account holder, one about the dependant
    people = page.evaluate("fetch('/api/v1/people').then((r) => r.json())")
    me = next(p for p in people if p["relation"] == "self")
    child = next(p for p in people if p["relation"] != "self")
    server_notifies(server, [
        {"person_id": me["id"], "template": "certificate_ready", "params": {"person_name": me["full_name"]},
         "key": f"e2e-cert:{me['id']}"},
        {"person_id": child["id"], "template": "appointment_day_before",
         "params": {"person_name": child["full_name"], "site_name": "Trạm Y tế phường Hoàn Kiếm",
                    "date": "24/11/2026", "time": "08:30"},
         "key": f"e2e-appt:{child['id']}"},
    ])
    page.goto("/#/")
    page.reload()  # the badge is polled on start
    # the tab's name is in the app's language (Vietnamese); the messages in the account's (English)
    tab = page.get_by_role("navigation").get_by_role("link", name="Hộp thư, 2 tin chưa đọc")
    tab.wait_for()
    tab.click()
    page.get_by_role("heading", name="Hộp thư").first.wait_for()
    page.get_by_text("2 tin chưa đọc").wait_for()
    page.get_by_role("heading", name="Vaccination appointment tomorrow").wait_for()
    page.get_by_text("Về Nguyễn Minh Khang").wait_for()
    page.get_by_text("Về bạn (Trần Thị Mai)").wait_for()
    shots(page, "61-inbox")
    page.get_by_role("button", name="Đánh dấu đã đọc: Vaccination certificate ready").click()
    page.get_by_text("1 tin chưa đọc").wait_for()
    page.get_by_role("navigation").get_by_role("link", name="Hộp thư, 1 tin chưa đọc").wait_for()
    page.get_by_role("button", name="Đánh dấu đã đọc tất cả").click()
    page.get_by_text("Bạn đã đọc hết tin nhắn.").wait_for()
    assert page.evaluate("fetch('/api/v1/inbox?limit=1').then((r) => r.json())")["unread"] == 0

    # 3. offline: the inbox last seen is read from the device
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    ctx.set_offline(True)
    page.reload()
    page.get_by_role("heading", name="Vaccination appointment tomorrow").wait_for()
    page.get_by_text("Bạn đang xem hộp thư đã lưu lúc").wait_for()
    shots(page, "62-inbox-offline", both=False)
    ctx.set_offline(False)

    # 4. the service worker's push handler, fired through the DevTools protocol
    ctx.grant_permissions(["notifications"], origin=server.url)
    page.goto("/#/inbox")
    page.get_by_role("heading", name="Hộp thư").first.wait_for()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    cdp = ctx.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda e: registrations.extend(r for r in e["registrations"] if not r.get("isDeleted")))
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(300)
    assert registrations, "no service worker registration reported"
    reg_id = next(r["registrationId"] for r in registrations if r["scopeURL"].startswith(server.url))
    outbox_id = str(uuid.uuid4())
    payload = json.dumps({"id": outbox_id, "template": "appointment_2h", "title": "Nhắc lịch tiêm hôm nay",
                          "body": "Nguyễn Minh Khang có lịch tiêm lúc 08:30.", "urgent": False},
                         ensure_ascii=False)
    for _ in range(2):  # at least once: the same message delivered twice must show once
        cdp.send("ServiceWorker.deliverPushMessage",
                 {"origin": server.url, "registrationId": reg_id, "data": payload})
    shown_js = """async () => {
      const reg = await navigator.serviceWorker.ready;
      return (await reg.getNotifications()).map((n) => ({title: n.title, body: n.body, tag: n.tag,
                                                        data: n.data}));
    }"""
    page.wait_for_function(f"({shown_js})().then((list) => list.length > 0)")
    page.wait_for_timeout(300)
    shown = page.evaluate(shown_js)
    assert shown == [{"title": "Nhắc lịch tiêm hôm nay", "body": "Nguyễn Minh Khang có lịch tiêm lúc 08:30.",
                      "tag": outbox_id, "data": {"id": outbox_id, "template": "appointment_2h"}}]
    # a payload that is not ours shows nothing new
    cdp.send("ServiceWorker.deliverPushMessage", {"origin": server.url, "registrationId": reg_id, "data": "x"})
    page.wait_for_timeout(300)
    assert len(page.evaluate(shown_js)) == 1
