"""Domain problems: raised by services, rendered as RFC 9457 problem+json at the edge.

Each problem has a slug (its `type` URL is /problems/<slug>), an HTTP status, and a title in
Vietnamese and English. `detail` is the English explanation of this occurrence; `detail_vi` the
Vietnamese one where the service has it. Extensions (e.g. `slot_id`) are machine-readable;
`extensions_vi` replaces those of them that hold text for people (a per-row report) in Vietnamese.
"""
from __future__ import annotations


class Problem(Exception):
    slug = "about:blank"
    status = 400
    title_en = "Bad request"
    title_vi = "Yêu cầu không hợp lệ"

    def __init__(self, detail: str = "", *, detail_vi: str = "", errors: dict | None = None,
                 errors_vi: dict | None = None, headers: dict | None = None, extensions_vi: dict | None = None,
                 **extensions) -> None:
        super().__init__(detail or self.title_en)
        self.detail = detail or self.title_en
        self.detail_vi = detail_vi or self.title_vi
        self.errors = errors
        # field → [message]; Vietnamese where given, else the detail_vi stands for every field
        self.errors_vi = errors_vi or ({f: [self.detail_vi] for f in errors} if errors else None)
        self.headers = headers or {}
        self.extensions = extensions
        self.extensions_vi = extensions_vi or {}


def problem(slug: str, status: int, title_en: str, title_vi: str) -> type[Problem]:
    """Declare a problem class in one line; the registry lists them for the docs page."""
    cls = type(_class_name(slug), (Problem,), {
        "slug": slug, "status": status, "title_en": title_en, "title_vi": title_vi})
    REGISTRY[slug] = cls
    return cls


def _class_name(slug: str) -> str:
    return "".join(part.capitalize() for part in slug.split("-"))


REGISTRY: dict[str, type[Problem]] = {}

# Generic problems shared by every domain
NotFound = problem("not-found", 404, "Not found", "Không tìm thấy")
ValidationFailed = problem("validation-failed", 422, "The data sent is not valid",
                           "Dữ liệu gửi lên không hợp lệ")
Conflict = problem("conflict", 409, "Conflict with the current state", "Xung đột với trạng thái hiện tại")
Forbidden = problem("forbidden", 403, "Not allowed", "Không được phép")
NotSignedIn = problem("not-signed-in", 401, "Sign in first", "Vui lòng đăng nhập")
TooManyRequests = problem("too-many-requests", 429, "Too many requests, try again later",
                          "Quá nhiều yêu cầu, vui lòng thử lại sau")
IdempotencyKeyReused = problem("idempotency-key-reused", 422,
                               "This Idempotency-Key was used for a different request",
                               "Khóa Idempotency-Key đã được dùng cho một yêu cầu khác")
