"""QR images decode back to exactly the text (zxing-cpp), for each kind of text we render."""

from __future__ import annotations

import io
import re

import zxingcpp
from PIL import Image, ImageDraw
from signing_builders import ISSUER_URL, NOW, sample_bundle, sample_payload

from signing import issue_hcert, issue_shc, make_personal_token, render_png, render_svg


def _decode_png(png: bytes) -> str:
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)
    return found.text


def _decode_svg(svg: str) -> str:
    """Rasterise qrcode's SvgPathImage (unit squares 'Mx,yHx+1Vy+1Hxz') with Pillow."""
    size = int(float(re.search(r'viewBox="0 0 ([\d.]+)', svg).group(1)))
    scale = 6
    img = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(img)
    for x, y in re.findall(r"M([\d.]+),([\d.]+)H", svg):
        x0, y0 = int(float(x)) * scale, int(float(y)) * scale
        draw.rectangle([x0, y0, x0 + scale - 1, y0 + scale - 1], fill=0)
    (found,) = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
    return found.text


def test_passport_png_and_svg_decode_to_the_same_text(dsc):
    text = issue_hcert(sample_payload(), dsc, now=NOW)
    assert _decode_png(render_png(text)) == text
    assert _decode_svg(render_svg(text)) == text


def test_shc_png_decodes_to_the_same_text(dsc):
    text = issue_shc(sample_bundle(), dsc, issuer_url=ISSUER_URL, now=NOW)
    assert _decode_png(render_png(text)) == text


def test_personal_token_png_uses_level_q_and_decodes(store):
    text = make_personal_token(bytes(16), store.token_signer(now=NOW), now=NOW)
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(render_png(text))), formats=zxingcpp.BarcodeFormat.QRCode)
    assert found.text == text and found.extra["ECLevel"] == "Q"


def test_png_has_a_four_module_quiet_zone(dsc):
    img = Image.open(io.BytesIO(render_png("HC1:ABC", box_size=1))).convert("L")
    assert all(img.getpixel((x, y)) == 255 for x in range(4) for y in range(img.height))
