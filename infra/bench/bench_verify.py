"""Passport verification benchmark: the server's verifier and the PWA's, side by side (by hand).

    .venv/bin/python infra/bench/bench_verify.py

1. the server: ``api.certificates.service.verify_passport`` (trust list from the key store and the
   database, revocation looked up per passport) and the whole POST /api/v1/passport-verifications
   through the Flask test client, on SQLite;
2. the PWA: pwa/src/verifier bundled with esbuild and run in headless Chromium (Debian's
   /usr/bin/chromium through Playwright), one distinct passport after another, as a checkpoint
   scans them. The aim is < 20 ms per passport in the browser.
"""
from __future__ import annotations

import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from api.certificates import service  # noqa: E402
from api.certificates.service import DoseInput, PassportInput, issue_passport  # noqa: E402
from api.clock import FixedClock  # noqa: E402
from api.config import Settings  # noqa: E402
from api.db import db  # noqa: E402

NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
DOSE = DoseInput(2, 2, dt.date(2026, 10, 1), "J07BX03", "EU/1/20/1528", "ORG-100030215", "208",
                 "EW0199", "Trạm Y tế phường Hoàn Kiếm")


def rate(fn, items, seconds: float = 0.5, rounds: int = 3) -> float:
    results = []
    for _ in range(rounds):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            fn(items[n % len(items)])
            n += 1
        results.append(n / (time.perf_counter() - t0))
    return statistics.median(results)


def show(label: str, per_second: float) -> None:
    print(f"  {label:<52} {per_second:>9,.0f}/s  {1000 / per_second:>8.2f} ms")


def server(passports: list[str]) -> None:
    tmp = Path(tempfile.mkdtemp())
    app = create_app(Settings(environment="test", instance_path=tmp, demo_data=False,
                              secret_key="bench-" + "x" * 40))
    app.extensions["ssk_clock"] = FixedClock(NOW)
    with app.app_context():
        db.create_all()
        keys = app.extensions["ssk_keys"]
        keys.current_dsc(now=NOW)
        made = [issue_passport(keys, PassportInput("Nguyễn", f"Khách {i}", dt.date(1990, 5, 17), (DOSE,)),
                               issuer_url="http://localhost:8000", now=NOW).hc1 for i in range(200)]
        passports.extend(made)

        def one(text):
            with db.reads().begin() as session:
                kind, v = service.verify_passport(session, keys, text, issuer_url="http://localhost:8000", now=NOW)
            assert v.status == "valid", v

        print("server (Python, one core, SQLite)")
        show("verify_passport (trust list built per call)", rate(one, made))
        client = app.test_client()

        def http(text):
            r = client.post("/api/v1/passport-verifications", json={"qr": text})
            assert r.status_code == 200 and r.json["status"] == "valid"

        show("POST /api/v1/passport-verifications (test client)", rate(http, made))
        with db.reads().begin() as session:
            trust = service.current_trust_list(session, keys, now=NOW)
        print(f"  (trust list: {len(trust)} signer(s); its JWS "
              f"{len(service.sign_trust_list(trust, keys, now=NOW))} bytes)\n")
    return app


def trust_certificates(app) -> list[list[int]]:
    with app.app_context(), db.reads().begin() as session:
        trust = service.current_trust_list(session, app.extensions["ssk_keys"], now=NOW)
        return [list(e.certificate) for e in trust]


def chromium(app, passports: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    entry = Path(tempfile.mkdtemp()) / "entry.js"
    entry.write_text(f"export * from '{ROOT / 'pwa/src/verifier/index.js'}';\n")
    bundle = subprocess.run([str(ROOT / "pwa/node_modules/.bin/esbuild"), str(entry), "--bundle",
                             "--format=iife", "--global-name=SSK", "--log-level=warning"],
                            capture_output=True, text=True, check=True).stdout
    ders = trust_certificates(app)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--disable-background-networking", "--disable-component-update",
                                          "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        # WebCrypto needs a secure context: a page "from" localhost, answered here
        page.route("http://localhost/bench", lambda route: route.fulfill(
            content_type="text/html", body="<!doctype html><title>bench</title>"))
        page.goto("http://localhost/bench")
        page.add_script_tag(content=bundle)
        version = browser.version
        times = page.evaluate("""async ([ders, texts, now]) => {
          const trust = await SSK.TrustList.fromCertificates(ders.map((d) => Uint8Array.from(d)));
          await trust.warm();
          const lists = {trust, revoked: new Set(), issuers: new SSK.IssuerKeys({})};
          const ms = [];
          for (const text of texts) {
            const t0 = performance.now();
            const v = await SSK.verifyPassport(text, {...lists, now});
            ms.push(performance.now() - t0);
            if (v.status !== 'valid') throw new Error(v.status + ' ' + v.reason);
          }
          return ms;
        }""", [ders, passports, NOW.timestamp() * 1000 + 60_000])
        browser.close()
    times.sort()
    print(f"PWA verifier in headless Chromium {version} ({len(times)} distinct passports, one at a time)")
    print(f"  median {statistics.median(times):.2f} ms   p95 {times[int(len(times) * .95) - 1]:.2f} ms   "
          f"max {times[-1]:.2f} ms   (aim: < 20 ms)   = {1000 / statistics.mean(times):,.0f}/s")


def main() -> None:
    passports: list[str] = []
    app = server(passports)
    chromium(app, passports)


if __name__ == "__main__":
    main()
