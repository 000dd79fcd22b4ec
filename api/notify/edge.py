"""Flask-side settings of the notify domain, read once per app and kept in app.extensions.

Environment (production; the worker reads the same two VAPID variables):
    SSK_VAPID_PRIVATE_KEY   the VAPID private key (raw or DER, base64url). Required in
                            production for Web Push; embedded/test modes make one under
                            instance/vapid_private_key on first use.
    SSK_VAPID_SUBJECT       the contact in VAPID claims, default mailto:admin@so-suc-khoe.local
    SSK_PUSH_HOSTS          comma-separated push service hosts subscriptions may name (a leading
                            dot allows subdomains); default: the big browser push services.
                            Outside production any http(s) endpoint is accepted (local tests).
`Settings.extra` keys vapid_private_key / vapid_subject / push_hosts override the environment.
"""
from __future__ import annotations

import os

from flask import Flask, current_app

from api.notify import vapid
from api.notify.service import PUSH_SERVICE_HOSTS, PushPolicy

_MISSING = object()


def _setting(app: Flask, key: str, env: str) -> str | None:
    return app.extensions["ssk_settings"].extra.get(key) or os.environ.get(env) or None


def vapid_keys(app: Flask | None = None) -> vapid.VapidKeys | None:
    """The app's VAPID pair; None in production when SSK_VAPID_PRIVATE_KEY is not set."""
    app = app or current_app._get_current_object()
    found = app.extensions.get("ssk_vapid", _MISSING)
    if found is _MISSING:
        settings = app.extensions["ssk_settings"]
        subject = _setting(app, "vapid_subject", "SSK_VAPID_SUBJECT") or vapid.DEFAULT_SUBJECT
        private = _setting(app, "vapid_private_key", "SSK_VAPID_PRIVATE_KEY")
        if private:
            found = vapid.keys_from(private, subject)
        elif settings.environment == "production":
            app.logger.warning("SSK_VAPID_PRIVATE_KEY is not set: Web Push is off")
            found = None
        else:
            found = vapid.load_or_create(settings.instance_path, subject)
        app.extensions["ssk_vapid"] = found
    return found


def push_policy() -> PushPolicy:
    app = current_app
    settings = app.extensions["ssk_settings"]
    hosts = _setting(app, "push_hosts", "SSK_PUSH_HOSTS")
    allowed = tuple(h.strip() for h in hosts.split(",") if h.strip()) if hosts else PUSH_SERVICE_HOSTS
    if settings.environment != "production":
        return PushPolicy(https_only=False, hosts=allowed if hosts else None)
    return PushPolicy(https_only=True, hosts=allowed)


def pepper() -> bytes:
    return current_app.extensions["ssk_settings"].secret_key.encode()
