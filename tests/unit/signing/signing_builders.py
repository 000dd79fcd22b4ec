"""Plain builder functions and the fixed clock for the signing tests (no fixtures, no mocks)."""

from __future__ import annotations

import datetime as dt

from signing import build_dcc_vaccination, build_shc_bundle, make_uvci

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
ISSUER_URL = "https://ssk.example.vn/shc"


def sample_payload(**overrides) -> dict:
    fields = dict(family_name="Nguyễn", given_name="Văn Đức", dob="1990-04-30",
                  vaccine="J07BX03", product="EU/1/20/1528", manufacturer="ORG-100030215",
                  dose_number=2, series_doses=2, date=dt.date(2026, 2, 20),
                  uvci=make_uvci(issuer_code="BYT", unique="0A1B2C3D4E5F6789"))
    fields.update(overrides)
    return build_dcc_vaccination(**fields)


def sample_bundle() -> dict:
    return build_shc_bundle(family_name="Nguyễn", given_names=["Văn", "Đức"],
                            birth_date="1990-04-30", immunizations=[
                                {"cvx": "208", "date": "2026-01-20", "lot": "EW0182",
                                 "performer": "Trạm Y tế Phường Bến Nghé"},
                                {"cvx": "208", "date": "2026-02-20", "lot": "EW0199",
                                 "performer": "Trạm Y tế Phường Bến Nghé"}])
