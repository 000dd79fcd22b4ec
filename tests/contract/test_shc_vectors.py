"""SMART Health Card examples and the official validator's fixtures through OUR verify_shc.

MANIFEST.json gives each case's expected validity and the validator's error codes; our verdict's
``reason`` maps to those codes with REASON_CODE. Images are decoded with zxing-cpp; the spec's
SVG QR codes (one stroked path) are rasterised here with Pillow.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import zxingcpp
from PIL import Image, ImageDraw

from signing.shc import MAX_SINGLE_QR_JWS, check_jwks, check_shc_payload, numeric_decode, verify_shc
from tests.conftest import VECTORS

ROOT = (VECTORS / "shc-examples")
MANIFEST = json.loads((ROOT / "MANIFEST.json").read_text())
FIXED_NOW = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)  # for the cases whose "at" is null

REASON_CODE = {
    "prefix": "INVALID_NUMERIC_QR_HEADER", "numeric": "INVALID_NUMERIC_QR",
    "chunked": "QR_CHUNKING_DEPRECATED", "trailing": "TRAILING_CHARACTERS",
    "jws": "JWS_HEADER_ERROR", "header": "JWS_HEADER_ERROR",
    "unknown_kid": "JWS_VERIFICATION_ERROR", "signature": "JWS_VERIFICATION_ERROR",
    "signature_format": "SIGNATURE_FORMAT_ERROR", "deflate": "INFLATION_ERROR",
    "json": "JSON_PARSE_ERROR", "issuer_kid": "ISSUER_KID_MISMATCH", "schema": "SCHEMA_ERROR",
    "exp": "EXPIRATION_ERROR", "nbf": "NOT_YET_VALID", "revoked": "REVOKED",
    "qr_decode": "QR_DECODE_ERROR", "qr_version": "INVALID_QR_VERSION",
}
KEY_CODE = {"wrong_kid": "INVALID_KEY_WRONG_KID", "wrong_alg": "INVALID_KEY_WRONG_ALG",
            "wrong_crv": "INVALID_KEY_WRONG_CRV", "wrong_kty": "INVALID_KEY_WRONG_KTY",
            "wrong_use": "INVALID_KEY_WRONG_USE"}
MAX_QR_VERSION = 22  # SHC: a single QR is at most version 22


def _svg_to_image(svg: str) -> Image.Image:
    """Rasterise the spec's SVG: one path of 'M x y.5' / 'h n' / 'm dx dy' strokes, 1 unit wide."""
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    scale = 8
    img = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(img)
    d = re.findall(r'stroke="#000000" d="([^"]+)"', svg)[0]
    x = y = 0.0
    for cmd, args in re.findall(r"([MmHh])([^MmHh]*)", d):
        nums = [float(n) for n in args.replace(",", " ").split()]
        if cmd == "M":
            x, y = nums
        elif cmd == "m":
            x, y = x + nums[0], y + nums[1]
        else:
            end = x + nums[0] if cmd == "h" else nums[0]
            top = int(y - 0.5) * scale
            draw.rectangle([int(x) * scale, top, int(end) * scale - 1, top + scale - 1], fill=0)
            x = end
    return img


def _texts_from_image(img: Image.Image) -> tuple[list[str], str | None]:
    found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
    if not found:
        return [], "qr_decode"
    if any(int(b.extra.get("Version", 0)) > MAX_QR_VERSION for b in found):
        return [b.text for b in found], "qr_version"
    return [b.text for b in found], None


def _inputs(case: dict) -> tuple[list[str], str | None]:
    """The texts to verify for a case, or a harness-level failure reason."""
    texts: list[str] = []
    for name in case["files"]:
        path = ROOT / name
        if path.suffix in (".png", ".jpg"):
            found, problem = _texts_from_image(Image.open(path))
            if problem:
                return found, problem
            texts += found
        elif path.suffix == ".svg":
            found, problem = _texts_from_image(_svg_to_image(path.read_text()))
            if problem:
                return found, problem
            texts += found
        elif path.suffix == ".smart-health-card":
            raw = path.read_text()
            if raw != raw.strip():
                return [], "trailing"
            texts += json.loads(raw)["verifiableCredential"]
        else:
            texts.append(path.read_text())
    return texts, None


def _jwks(case: dict) -> dict:
    return {iss: json.loads((ROOT / f).read_text()) for iss, f in case.get("issuers", {}).items()}


def _codes_and_verdicts(case: dict) -> tuple[set[str], list]:
    now = dt.datetime.fromtimestamp(case["at"], dt.UTC) if case["at"] else FIXED_NOW
    if case.get("type") == "jwks":
        problems = check_jwks(json.loads((ROOT / case["files"][0]).read_text()))
        return {KEY_CODE[p] for p in problems}, []
    if case["files"][0].endswith(".json"):  # an unsigned payload: only the payload rules apply
        bad = check_shc_payload(json.loads((ROOT / case["files"][0]).read_text()), now=now)
        return ({REASON_CODE[bad.reason]} if bad else set()), [bad] if bad else []
    texts, problem = _inputs(case)
    if problem:
        return {REASON_CODE[problem]}, ["harness"]
    revoked = {}
    if "crl" in case:
        crl = json.loads((ROOT / case["crl"]).read_text())
        revoked = {crl["kid"]: crl["rids"]}
    codes, verdicts = set(), []
    for text in texts:
        verdict = verify_shc(text, _jwks(case), now=now, revoked_rids=revoked)
        verdicts.append(verdict)
        if not verdict.valid:
            codes.add(REASON_CODE[verdict.reason])
        jws = numeric_decode(text) if text.startswith("shc:/") and verdict.reason not in (
            "numeric", "chunked", "prefix", "trailing") else text
        if len(jws) > MAX_SINGLE_QR_JWS:
            codes.add("JWS_TOO_LONG")  # a warning in the official validator
    return codes, verdicts


@pytest.mark.parametrize("case", MANIFEST["cases"], ids=[c["name"] for c in MANIFEST["cases"]])
def test_shc_case_gives_the_expected_verdict(case: dict):
    codes, verdicts = _codes_and_verdicts(case)
    expected = set(case["expect_codes"]) | set(case.get("expect_any", []))
    if case["expect_valid"]:
        assert all(v.valid for v in verdicts if v != "harness"), verdicts
        assert codes <= {"JWS_TOO_LONG"} and codes >= set(case["expect_codes"]), codes
    else:
        assert codes & expected, (codes, expected, verdicts)
        assert not any(getattr(v, "valid", False) for v in verdicts if v != "harness") or \
            case.get("type") == "jwks" or len(verdicts) > 1
