"""The installed app opens without a network: the service worker serves the shell."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e


def test_the_shell_opens_offline_from_the_service_worker(new_context, shots):
    context = new_context()
    page = context.new_page()
    page.goto("/#/signin")
    page.get_by_role("heading", name="Đăng nhập hoặc đăng ký").wait_for()
    page.wait_for_function("navigator.serviceWorker.controller !== null")

    context.set_offline(True)
    response = page.reload()
    assert response.from_service_worker
    page.get_by_role("heading", name="Đăng nhập hoặc đăng ký").wait_for()
    page.get_by_text("Bạn đang ngoại tuyến").wait_for()
    # a deep link is the shell too (index.html fallback inside the worker)
    page.goto("/some/where#/signin")
    page.get_by_role("heading", name="Đăng nhập hoặc đăng ký").wait_for()
    # an API call offline says so, beside nothing: the network is really gone for the page too
    page.get_by_label("Số điện thoại").fill("0912 345 678")
    page.get_by_role("button", name="Gửi mã").click()
    page.get_by_text("Không kết nối được máy chủ").first.wait_for()
    shots(page, "90-offline-signin")
    context.set_offline(False)


def test_the_manifest_makes_the_app_installable(new_context, server):
    page = new_context().new_page()
    page.goto("/")
    href = page.locator("link[rel=manifest]").get_attribute("href")
    res = page.request.get(href)
    assert res.ok and "manifest+json" in res.headers["content-type"]
    manifest = json.loads(res.body())
    assert manifest["start_url"].startswith("/") and manifest["display"] == "standalone"
    sizes = {(i["sizes"], i.get("purpose", "any")) for i in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert page.request.get(icon["src"]).headers["content-type"] == "image/png"
    sw = page.request.get("/sw.js")
    assert sw.ok and "no-cache" in sw.headers.get("cache-control", "")


def test_kill_sw_unregisters_the_worker_and_empties_the_caches(new_context):
    page = new_context().new_page()
    page.goto("/")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    assert page.evaluate("caches.keys().then(k => k.length)") > 0
    page.goto("/?kill-sw#/signin")
    page.wait_for_url("**/#/signin")
    page.get_by_role("heading", name="Đăng nhập hoặc đăng ký").wait_for()
    page.wait_for_timeout(500)  # time to register again, if it (wrongly) would
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
    assert page.evaluate("caches.keys().then(k => k.length)") == 0
    assert page.evaluate("navigator.serviceWorker.controller") is None
