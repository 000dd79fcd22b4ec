"""Passport issuance benchmark, every stage side by side in one run (by hand, not in CI).

    .venv/bin/python infra/bench/bench_passports.py

Each figure is the median of 3 timed rounds of ~0.3 s on one core. The machine is shared and
noisy: compare the ratios within one run rather than absolute numbers across runs.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import base45 as base45_package  # noqa: E402
import qrcode  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature  # noqa: E402

from signing import (KeyStore, TrustList, b45encode, build_dcc_vaccination,  # noqa: E402
                     build_shc_bundle, issue_hcert, issue_shc, make_uvci, render_png,
                     verify_hcert)
from signing.cose import sign1  # noqa: E402
from signing.cwt import encode_claims  # noqa: E402

NOW = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def rate(fn, seconds: float = 0.3, rounds: int = 3) -> float:
    """Calls per second: median over ``rounds`` of a loop that runs about ``seconds``."""
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 0.05:
        fn()
        n += 1
    batch = max(1, int(n * seconds / 0.05))
    results = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(batch):
            fn()
        results.append(batch / (time.perf_counter() - t0))
    return statistics.median(results)


def show(label: str, per_second: float, extra: str = "") -> None:
    print(f"  {label:<44} {per_second:>10,.0f}/s  {1e6 / per_second:>8.1f} µs  {extra}")


def main() -> None:
    store = KeyStore(Path(tempfile.mkdtemp()) / "keys")
    dsc = store.current_dsc(now=NOW)
    trust = TrustList.from_certificates(store.dsc_certificates())
    key = dsc.key
    uvci = make_uvci(issuer_code="BYT", unique="0A1B2C3D4E5F6789")
    fields = dict(family_name="Nguyễn", given_name="Văn Đức", dob="1990-04-30",
                  vaccine="J07BX03", product="EU/1/20/1528", manufacturer="ORG-100030215",
                  dose_number=2, series_doses=2, date=dt.date(2026, 2, 20), uvci=uvci)
    payload = build_dcc_vaccination(**fields)
    iat = int(NOW.timestamp())
    claims = encode_claims(issuer="VN", issued_at=iat, expires_at=iat + 365 * 86400, dcc=payload)
    cose = sign1(claims, dsc)
    compressed = zlib.compress(cose, 9)
    text = issue_hcert(payload, dsc, now=NOW)
    msg = os.urandom(200)

    print(f"Python {sys.version.split()[0]}, one core; HC1 text {len(text)} chars, "
          f"COSE {len(cose)} B, zlib {len(compressed)} B\n")
    print("raw signing")
    raw_der = rate(lambda: key.sign(msg, ec.ECDSA(hashes.SHA256())))
    show("ES256 sign, cryptography (DER out)", raw_der)

    def raw_rs():
        r, s = decode_dss_signature(key.sign(msg, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    raw = rate(raw_rs)
    show("ES256 sign + DER -> r||s (LocalSigner.sign)", raw)

    print("\nHC1 issuance, stage by stage")
    show("payload build (build_dcc_vaccination)", rate(lambda: build_dcc_vaccination(**fields)))
    show("CBOR CWT claims (cbor2)", rate(lambda: encode_claims(
        issuer="VN", issued_at=iat, expires_at=iat + 1, dcc=payload)))
    show("COSE_Sign1 (Sig_structure + sign + CBOR)", rate(lambda: sign1(claims, dsc)))
    show("zlib level 9", rate(lambda: zlib.compress(cose, 9)))
    ours = rate(lambda: b45encode(compressed))
    pkg = rate(lambda: base45_package.b45encode(compressed))
    show("base45 encode, ours", ours)
    show("base45 encode, `base45` package", pkg, f"(ours is {ours / pkg:.1f}x faster)")

    print("\nwhole operations")
    whole = rate(lambda: issue_hcert(build_dcc_vaccination(**fields), dsc, now=NOW))
    show("HC1 issuance (build + issue_hcert)", whole,
         f"= {whole / raw:.2f} of raw signing (aim >= 0.33)")
    show("HC1 verification (verify_hcert)", rate(lambda: verify_hcert(text, trust, now=NOW)))
    bundle = build_shc_bundle(family_name="Nguyễn", given_names=["Văn", "Đức"],
                              birth_date="1990-04-30", immunizations=[
                                  {"cvx": "208", "date": "2026-01-20", "lot": "EW0182",
                                   "performer": "Trạm Y tế Phường Bến Nghé"},
                                  {"cvx": "208", "date": "2026-02-20", "lot": "EW0199",
                                   "performer": "Trạm Y tế Phường Bến Nghé"}])
    show("SHC issuance (issue_shc)", rate(lambda: issue_shc(
        bundle, dsc, issuer_url="https://ssk.example.vn/shc", now=NOW)))

    print("\nQR images (HC1 text)")
    show("PNG render, fixed mask (render_png)", rate(lambda: render_png(text), rounds=3))

    def unfixed():
        qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4, border=4)
        qr.add_data(text)
        qr.make(fit=True)
        qr.make_image()
    show("QR image, qrcode default (mask search)", rate(unfixed, rounds=3))


if __name__ == "__main__":
    main()
