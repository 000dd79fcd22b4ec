"""QR images of our texts (``qrcode``): SVG for the PWA/PDF, PNG for print.

Never on a request's hot path (FACTS.md: ~20 ms an image); render once and cache.
"""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
import qrcode.image.svg

__all__ = ["render_png", "render_svg"]

# ISO/IEC 18004 §7.8: choosing the mask means drawing all 8 and scoring them; a fixed mask skips
# that (FACTS.md: 43-55/s -> 165-220/s) at a small cost in scanning robustness, still compliant
FIXED_MASK = 0
QUIET_ZONE = 4  # ISO/IEC 18004 §6.3.8: a 4-module quiet zone
SHORT_TEXT = 200  # personal tokens (~150 chars) get level Q; passports (~500) level M


def _code(text: str, error_correction: str | None) -> qrcode.QRCode:
    level = error_correction or ("Q" if len(text) <= SHORT_TEXT else "M")
    qr = qrcode.QRCode(error_correction={"L": qrcode.constants.ERROR_CORRECT_L,
                                         "M": qrcode.constants.ERROR_CORRECT_M,
                                         "Q": qrcode.constants.ERROR_CORRECT_Q,
                                         "H": qrcode.constants.ERROR_CORRECT_H}[level],
                       border=QUIET_ZONE, box_size=10, mask_pattern=FIXED_MASK)
    qr.add_data(text)
    qr.make(fit=True)
    return qr


def render_svg(text: str, *, error_correction: str | None = None) -> str:
    """An SVG document (one path) of ``text``."""
    img = _code(text, error_correction).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return img.to_string(encoding="unicode")


def render_png(text: str, *, error_correction: str | None = None, box_size: int = 4) -> bytes:
    """PNG bytes of ``text``; ``box_size`` pixels per module."""
    qr = _code(text, error_correction)
    qr.box_size = box_size
    buf = io.BytesIO()
    qr.make_image().save(buf, format="PNG")
    return buf.getvalue()
