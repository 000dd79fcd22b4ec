"""Plain builders for the passport tests: a passport signed by the app's own key store."""
from __future__ import annotations

import datetime as dt

from api.certificates.service import DoseInput, IssuedPassport, PassportInput, issue_passport

DOSES = (
    DoseInput(dose_number=1, series_doses=2, date=dt.date(2026, 9, 1), vaccine="J07BX03",
              product="EU/1/20/1528", manufacturer="ORG-100030215", cvx="208", lot="EW0182",
              performer="Trạm Y tế phường Hoàn Kiếm"),
    DoseInput(dose_number=2, series_doses=2, date=dt.date(2026, 10, 1), vaccine="J07BX03",
              product="EU/1/20/1528", manufacturer="ORG-100030215", cvx="208", lot="EW0199",
              performer="Trạm Y tế phường Hoàn Kiếm"),
)


def make_passport(app, *, now: dt.datetime | None = None, family_name="Nguyễn",
                  given_name="Văn An", dob=dt.date(1990, 5, 17), doses=DOSES, **kw) -> IssuedPassport:
    clock = app.extensions["ssk_clock"]
    settings = app.extensions["ssk_settings"]
    return issue_passport(app.extensions["ssk_keys"],
                          PassportInput(family_name, given_name, dob, tuple(doses)),
                          issuer_url=settings.origins[0], now=now or clock.at, **kw)


def verify(client, text: str) -> dict:
    r = client.post("/passport-verifications", {"qr": text})
    assert r.status_code == 200, r.json
    return r.json
