"""create_app: settings → extensions → blueprints → error handlers. Nothing happens at import."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from flask.sessions import SessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from api import errors, idempotency, pwa
from api.auth import guard
from api.config import Settings
from api.db import db

API_BLUEPRINTS = (
    "api.auth.routes:blp",
    "api.people.routes:blp",
    "api.people.routes:staff_blp",
    "api.places.routes:blp",
    "api.certificates.routes:blp",
    "api.certificates.routes:wellknown_blp",
    "api.catalog.routes:blp",
    "api.booking.routes:blp",
    "api.notify.routes:blp",
    "api.vaccination.routes:blp",
    "api.vaccination.routes:stock_blp",
    "api.vaccination.routes:records_blp",
    "api.stats.routes:blp",
    "api.stats.routes:dashboard_blp",
    "api.stats.routes:export_blp",
    "api.reactions.routes:blp",
)


def _import(spec: str):
    module, _, name = spec.partition(":")
    return getattr(__import__(module, fromlist=[name]), name)


def _swagger_ui_url(settings: Settings) -> str | None:
    # Served from our own origin (npm swagger-ui-dist copied by the PWA build): no CDN needed.
    return "/vendor/swagger-ui/" if (settings.pwa_dist / "vendor/swagger-ui").is_dir() else None


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    settings.check()
    settings.instance_path.mkdir(parents=True, exist_ok=True)
    settings = _embedded_secret(settings)
    app = Flask(__name__, instance_path=str(settings.instance_path.resolve()), static_folder=None)
    app.session_interface = NoFlaskSession()
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        JSON_SORT_KEYS=False,
        API_TITLE="Sổ Sức Khỏe API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL=_swagger_ui_url(settings),
        API_SPEC_OPTIONS={"info": {"description": (
            "The citizen health book. Errors are application/problem+json (RFC 9457); titles follow "
            "Accept-Language (vi, en). Writes with a session need X-CSRF-Token; writes a phone may "
            "resend take an Idempotency-Key.")}},
    )
    if hops := int(settings.extra.get("proxy_hops", 0)):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    app.extensions["ssk_settings"] = settings
    db.init_app(app, settings.sqlalchemy_url)
    _init_adapters(app, settings)

    errors.register_error_handlers(app)
    guard.init_app(app)
    idempotency.init_app(app)
    api = errors.Api(app)
    for spec in API_BLUEPRINTS:
        api.register_blueprint(_import(spec))
    _protect_docs(app)
    pwa.init_app(app)

    from api.cli import register_cli

    register_cli(app)
    return app


class NoFlaskSession(SessionInterface):
    """Our sessions are server rows (api.auth); Flask's signed-cookie session is never used, and
    building its serializer cost every request ~0.1 ms. `flask.session` is a NullSession: a write
    to it raises instead of being silently dropped."""

    def open_session(self, app, request):
        return self.make_null_session(app)

    def save_session(self, app, session, response):
        return None


def _embedded_secret(settings: Settings) -> Settings:
    """Embedded mode: a random secret made on first run and kept under instance/ (0600)."""
    from dataclasses import replace

    from api.config import EMBEDDED_SECRET, random_secret

    if settings.environment != "embedded" or settings.secret_key != EMBEDDED_SECRET:
        return settings
    path = settings.instance_path / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(random_secret())
    return replace(settings, secret_key=path.read_text().strip())


def _init_adapters(app: Flask, settings: Settings) -> None:
    """Outside systems, one adapter each, created here (never at import, fork-safe)."""
    from api.docstore import make_store
    from notifications.channels.sms import ConsoleSms, HttpSmsGateway
    from signing.keys import KeyStore

    app.extensions["ssk_keys"] = KeyStore(settings.instance_path / "keys")
    app.extensions["ssk_docstore"] = make_store(settings.mongo_url, app.extensions["ssk_db"]["sessions"])
    if settings.sms_provider == "http":
        app.extensions["ssk_sms"] = HttpSmsGateway(settings.sms_gateway_url)
    else:
        app.extensions["ssk_sms"] = ConsoleSms(Path(settings.instance_path) / "outbox-sms.log")


def _protect_docs(app: Flask) -> None:
    """The OpenAPI document and docs page are public: mark flask-smorest's own views so."""
    app.extensions["ssk_public_endpoints"] = frozenset(
        e for e in app.view_functions if e.startswith("api-docs."))
