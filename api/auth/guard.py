"""One mechanism for who may call what: every view declares a policy; unmarked views are refused.

`@requires("signed_in")`, `@requires("site_staff", "department_staff")`, `@requires("public")`.
A before_request hook resolves the session cookie to a Principal, checks CSRF on writes, and
checks the view's policy before the view runs. Ownership (which person) is the services' job,
through `people.service.check_can_act_for`, since only they know whose record is touched.
"""
from __future__ import annotations

import hmac
from functools import wraps

from flask import Flask, current_app, g, request

from api.auth import service
from api.auth.problems import CsrfFailed, PasskeyRequired
from api import clock
from api.db import db
from api.problems import Forbidden, NotSignedIn

SESSION_COOKIE = "ssk_session"
CSRF_COOKIE = "ssk_csrf"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
ANY_STAFF = ("site_staff", "department_staff", "national_admin", "checkpoint_officer")


def requires(*policy: str):
    """Declare who may call a view: 'public', 'signed_in', 'staff' or role names."""

    def mark(fn):
        fn._ssk_policy = tuple(r for p in policy for r in (ANY_STAFF if p == "staff" else (p,)))
        return fn

    return mark


def policy_of(endpoint: str | None):
    if endpoint in current_app.extensions.get("ssk_public_endpoints", ()):
        return ("public",)
    view = current_app.view_functions.get(endpoint) if endpoint else None
    if view is None:
        return None
    cls = getattr(view, "view_class", None)
    if cls is not None:
        method = getattr(cls, request.method.lower(), None)
        if method is None and request.method == "HEAD":
            method = getattr(cls, "get", None)
        return getattr(method, "_ssk_policy", None) if method else ("public",)  # 405 follows
    return getattr(view, "_ssk_policy", None)


def current_principal() -> service.Principal:
    principal = g.get("principal")
    if principal is None:
        raise NotSignedIn()
    return principal


def _load_principal():
    token = request.cookies.get(SESSION_COOKIE)
    g.principal = None
    if token:
        now = clock.now()
        with db.autocommit() as conn:  # one round trip on every signed-in request
            g.principal = service.load_principal(conn, token, now=now)
        if g.principal and now - g.principal.last_seen_at > service.SESSION_TOUCH:
            with db.sessions().begin() as session:
                service.touch_session(session, g.principal, now=now)


def _authorise():
    if request.endpoint is None:  # 404: let the error handler answer
        return
    _load_principal()
    policy = policy_of(request.endpoint)
    if policy is None:
        current_app.logger.error("view %s declares no access policy: refused", request.endpoint)
        raise Forbidden("This endpoint declares no access policy.")
    principal = g.principal
    if principal is not None and request.method in UNSAFE:
        sent = request.headers.get("X-CSRF-Token", "")
        if not hmac.compare_digest(sent, principal.csrf_token):
            raise CsrfFailed()
    if "public" in policy:
        return
    if principal is None:
        raise NotSignedIn()
    if "signed_in" in policy:
        return
    if principal.has(*policy):
        return
    if principal.staff_needs_passkey and any(r.role in policy for r in principal.held_roles):
        raise PasskeyRequired()
    raise Forbidden("Your role does not allow this.", detail_vi="Vai trò của bạn không được phép làm việc này.")


def init_app(app: Flask) -> None:
    app.before_request(_authorise)


def set_session_cookies(response, token: str, csrf: str, *, secure: bool, days: int):
    age = days * 86400
    response.set_cookie(SESSION_COOKIE, token, max_age=age, httponly=True, secure=secure,
                        samesite="Lax", path="/")
    # Readable by the page's script, which echoes it in X-CSRF-Token (double submit).
    response.set_cookie(CSRF_COOKIE, csrf, max_age=age, httponly=False, secure=secure,
                        samesite="Lax", path="/")
    return response


def clear_session_cookies(response):
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


def public(fn):
    """For plain Flask views (the PWA files, health checks)."""
    return requires("public")(fn)


def client_ip() -> str:
    # Behind our own reverse proxy, ProxyFix (configured in create_app) sets remote_addr.
    return request.remote_addr or "unknown"


__all__ = ["requires", "current_principal", "init_app", "wraps"]
