"""RFC 9457 problem+json for every error: our Problems, webargs 422s, bare HTTP errors, 500s."""
from __future__ import annotations

import logging
import re
import uuid

import marshmallow as ma
import sqlalchemy.exc as sa_exc
from flask import Flask, g, json, request
from flask_smorest import Api as SmorestApi
from werkzeug.exceptions import HTTPException

from api import problems
from api.problems import Problem

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"

# Marshmallow's own messages, in Vietnamese too (field errors are shown beside the form field).
_FIELD_MESSAGES_VI = {
    "Missing data for required field.": "Thiếu dữ liệu bắt buộc.",
    "Field may not be null.": "Trường này không được để trống.",
    "Not a valid string.": "Không phải chuỗi hợp lệ.",
    "Not a valid integer.": "Không phải số nguyên hợp lệ.",
    "Not a valid number.": "Không phải số hợp lệ.",
    "Not a valid boolean.": "Không phải giá trị đúng/sai hợp lệ.",
    "Not a valid date.": "Không phải ngày hợp lệ.",
    "Not a valid datetime.": "Không phải thời điểm hợp lệ.",
    "Not a valid UUID.": "Không phải mã định danh hợp lệ.",
    "Not a valid list.": "Không phải danh sách hợp lệ.",
    "Unknown field.": "Trường không được hỗ trợ.",
    "Invalid input type.": "Kiểu dữ liệu không hợp lệ.",
    "Shorter than minimum length 1.": "Không được để trống.",
    "Not a valid email address.": "Không phải địa chỉ e-mail hợp lệ.",
    "Not a valid URL.": "Không phải địa chỉ URL hợp lệ.",
    "Not a valid time.": "Không phải giờ hợp lệ.",
    "Not a valid mapping type.": "Không phải đối tượng hợp lệ.",
    "Invalid value.": "Giá trị không hợp lệ.",
    # our validators' messages
    "Must be exactly 12 digits.": "Phải gồm đúng 12 chữ số.",
    "Six digits.": "Gồm 6 chữ số.",
    "Use HH:MM, 24-hour (e.g. 21:30).": "Dùng dạng GG:PP, 24 giờ (ví dụ 21:30).",
    "Uppercase letters, digits and dashes (2-32).": "Chữ in hoa, chữ số và dấu gạch ngang (2-32 ký tự).",
    "Two capital letters (ISO 3166-1).": "Hai chữ cái in hoa (ISO 3166-1).",
    "Lowercase letters, digits and dashes (2-40).": "Chữ thường, chữ số và dấu gạch ngang (2-40 ký tự).",
    "1-9 or 'booster'.": "Từ 1 đến 9 hoặc 'booster'.",
    "Give exactly one of qr, national_id, phone.": "Hãy nhập đúng một trong: mã QR, số CCCD, số điện thoại.",
}

# marshmallow's parameterised messages: (pattern, Vietnamese template)
_FIELD_PATTERNS_VI = [
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "Độ dài phải từ {0} đến {1} ký tự."),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), "Phải có ít nhất {0} ký tự."),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "Không được quá {0} ký tự."),
    (re.compile(r"^Must be one of: (.+)\.$"), "Phải là một trong: {0}."),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     "Phải từ {0} đến {1}."),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), "Phải lớn hơn hoặc bằng {0}."),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), "Phải nhỏ hơn hoặc bằng {0}."),
    (re.compile(r"^String does not match expected pattern\.$"), "Không đúng định dạng."),
]


def field_message_vi(message: str) -> str:
    if message in _FIELD_MESSAGES_VI:
        return _FIELD_MESSAGES_VI[message]
    for pattern, template in _FIELD_PATTERNS_VI:
        if m := pattern.match(message):
            return template.format(*m.groups())
    return message


def language() -> str:
    """'vi' or 'en' from Accept-Language; Vietnamese unless English is preferred."""
    best = request.accept_languages.best_match(["vi", "en"]) if request else None
    return best or "vi"


def request_id() -> str:
    if "request_id" not in g:
        g.request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
    return g.request_id


def problem_response(status: int, slug: str, title: str, detail: str, *, errors=None,
                     headers=None, **extensions):
    body = {
        "type": f"/problems/{slug}" if slug != "about:blank" else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "request_id": request_id(),
    }
    if errors:
        body["errors"] = errors
    body.update(extensions)
    resp = Flask.response_class(json.dumps(body, ensure_ascii=False), status=status,
                                mimetype=PROBLEM_MIMETYPE)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def render_problem(exc: Problem):
    vi = language() == "vi"
    errors = exc.errors_vi if vi else exc.errors
    extensions = exc.extensions | exc.extensions_vi if vi else exc.extensions
    return problem_response(
        exc.status, exc.slug, exc.title_vi if vi else exc.title_en,
        exc.detail_vi if vi else exc.detail, errors=errors, headers=exc.headers, **extensions)


def _flatten(messages, prefix=""):
    """webargs {'json': {'phone': ['..'], 'address': {'ward': ['..']}}} → {'phone': [..], 'address.ward': [..]}."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, list):
        out[prefix or "_schema"] = [str(m) for m in messages if not isinstance(m, dict)]
        for i, m in enumerate(messages):
            if isinstance(m, dict):
                out.update(_flatten(m, f"{prefix}.{i}" if prefix else str(i)))
        return out
    for key, value in messages.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, (dict, list)) and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            out.update(_flatten(value, name))
        else:
            out[name] = [str(v) for v in (value if isinstance(value, list) else [value])]
    return out


_HTTP = {
    400: ("bad-request", "Bad request", "Yêu cầu không hợp lệ"),
    401: ("not-signed-in", "Sign in first", "Vui lòng đăng nhập"),
    403: ("forbidden", "Not allowed", "Không được phép"),
    404: ("not-found", "Not found", "Không tìm thấy"),
    405: ("method-not-allowed", "Method not allowed", "Phương thức không được hỗ trợ"),
    409: ("conflict", "Conflict with the current state", "Xung đột với trạng thái hiện tại"),
    412: ("precondition-failed", "The record changed since you read it", "Bản ghi đã thay đổi kể từ khi bạn đọc"),
    413: ("too-large", "The request is too large", "Yêu cầu quá lớn"),
    415: ("unsupported-media-type", "Send JSON", "Vui lòng gửi dữ liệu JSON"),
    422: ("validation-failed", "The data sent is not valid", "Dữ liệu gửi lên không hợp lệ"),
    428: ("precondition-required", "Send If-Match with the record's ETag", "Cần gửi If-Match với ETag của bản ghi"),
    429: ("too-many-requests", "Too many requests, try again later", "Quá nhiều yêu cầu, vui lòng thử lại sau"),
}


def render_http_exception(exc: HTTPException):
    code = exc.code or 500
    slug, en, vi = _HTTP.get(code, ("about:blank", exc.name, exc.name))
    lang_vi = language() == "vi"
    data = getattr(exc, "data", None) or {}
    errors = _flatten(data["messages"]) if "messages" in data else None
    # webargs puts body errors under 'json': drop that location prefix, keep 'query.' etc.
    if errors:
        errors = {k[5:] if k.startswith("json.") else k: v for k, v in errors.items()}
        if lang_vi:
            errors = {f: [field_message_vi(m) for m in msgs] for f, msgs in errors.items()}
    detail = (vi if lang_vi else en) if code == 422 or not exc.description else (
        vi if lang_vi else exc.description)
    headers = {k: v for k, v in (data.get("headers") or {}).items()}
    if code == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    return problem_response(code, slug, vi if lang_vi else en, detail, errors=errors, headers=headers)


class ProblemSchema(ma.Schema):
    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    instance = ma.fields.String()
    request_id = ma.fields.String()
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()))


class Api(SmorestApi):
    """flask-smorest with problem+json as the one error body."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        return render_http_exception(error)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(Problem, render_problem)
    app.register_error_handler(HTTPException, render_http_exception)

    @app.errorhandler(sa_exc.IntegrityError)
    def _integrity(exc):  # a constraint the service did not anticipate: a conflict, not a crash
        log.warning("integrity error %s: %s", request_id(), exc.orig)
        return render_problem(problems.Conflict("The change conflicts with existing data.",
                                                detail_vi="Thay đổi xung đột với dữ liệu hiện có."))

    @app.errorhandler(Exception)
    def _unexpected(exc):
        log.exception("unhandled error, request_id=%s", request_id())
        lang_vi = language() == "vi"
        return problem_response(
            500, "internal-error", "Lỗi hệ thống" if lang_vi else "Internal server error",
            ("Đã có lỗi. Hãy báo mã yêu cầu cho bộ phận hỗ trợ." if lang_vi
             else "Something went wrong. Quote the request id to support."))
