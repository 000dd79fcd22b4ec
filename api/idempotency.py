"""Idempotency-Key on writes: a phone that resends a request gets the first answer again.

Before the view runs, a placeholder row claims (principal, key); a second request with the same
key while the first is running gets a 409, after it a replay of the stored answer (header
`Idempotent-Replayed: true`); the same key with a different body is a 422. 5xx answers are not
kept, so a retry after a crash runs again. Views whose service keeps its own key in the same
transaction as the write (the hot paths: bookings, dose records) opt out with `@own_idempotency`.
"""
from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app, g, request

from api.auth.guard import UNSAFE, client_ip
from api.auth.models import IdempotencyRecord
from api import clock
from api.db import db
from api.problems import Conflict, IdempotencyKeyReused, ValidationFailed

HEADER = "Idempotency-Key"
KEEP = timedelta(hours=24)
ABANDONED = timedelta(minutes=2)


def own_idempotency(fn):
    fn._ssk_own_idempotency = True
    return fn


def key_from_request() -> str | None:
    key = request.headers.get(HEADER)
    if key is not None and not (8 <= len(key) <= 80 and key.isascii() and key.isprintable()):
        raise ValidationFailed("Idempotency-Key must be 8-80 printable ASCII characters.",
                               detail_vi="Idempotency-Key phải dài 8-80 ký tự ASCII.",
                               errors={HEADER: ["8-80 printable ASCII characters."]})
    return key


def _view_opts_out() -> bool:
    view = current_app.view_functions.get(request.endpoint)
    cls = getattr(view, "view_class", None)
    fn = getattr(cls, request.method.lower(), None) if cls else view
    return bool(getattr(fn, "_ssk_own_idempotency", False))


def _principal_key() -> str:
    p = g.get("principal")
    return p.account_id if p else f"ip:{client_ip()}"


def _before():
    if request.method not in UNSAFE or request.endpoint is None:
        return None
    key = key_from_request()
    if key is None or _view_opts_out():
        return None
    fingerprint = hashlib.sha256(
        request.method.encode() + b" " + request.path.encode() + b"\n" + request.get_data()).hexdigest()
    principal, now = _principal_key(), clock.now()
    with db.sessions().begin() as session:
        row = session.get(IdempotencyRecord, (principal, key))
        # Expired, or abandoned mid-request by a process that died: the key is free again.
        if row is not None and (row.created_at < now - KEEP or (
                row.status == 0 and row.created_at < now - ABANDONED)):
            session.delete(row)
            session.flush()
            row = None
        if row is None:
            session.add(IdempotencyRecord(principal=principal, key=key, fingerprint=fingerprint,
                                          created_at=now))
            g.idempotency = (principal, key)
            return None
        if row.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if row.status == 0:
            raise Conflict("The same request is still being processed.",
                           detail_vi="Yêu cầu giống hệt đang được xử lý.", retry_after=1,
                           headers={"Retry-After": "1"})
        resp = current_app.response_class(row.body, status=row.status, content_type=row.content_type)
        resp.headers["Idempotent-Replayed"] = "true"
        return resp


def _after(response):
    claim = g.pop("idempotency", None)
    if claim is None:
        return response
    principal, key = claim
    with db.sessions().begin() as session:
        if response.status_code >= 500:
            session.execute(sa.delete(IdempotencyRecord).filter_by(principal=principal, key=key))
        else:
            session.execute(sa.update(IdempotencyRecord).filter_by(principal=principal, key=key).values(
                status=response.status_code, body=response.get_data(),
                content_type=response.content_type or ""))
    return response


def init_app(app: Flask) -> None:
    app.before_request(_before)  # registered after the guard: the principal is known
    app.after_request(_after)
