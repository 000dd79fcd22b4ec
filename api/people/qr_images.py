"""QR images of personal tokens, cached: a token never changes, so its image never does."""
from functools import lru_cache

from signing.qr import render_png, render_svg


@lru_cache(maxsize=2048)
def render(token: str, kind: str) -> tuple[bytes, str]:
    if kind == "svg":
        return render_svg(token).encode(), "image/svg+xml"
    return render_png(token), "image/png"
