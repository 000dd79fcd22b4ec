"""Serves the built PWA (pwa/dist) at / with an index.html fallback for client routes."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, send_from_directory

from api.auth.guard import public
from api.problems import REGISTRY

bp = Blueprint("pwa", __name__)


def _dist() -> Path:
    from flask import current_app

    return current_app.extensions["ssk_settings"].pwa_dist.resolve()


@bp.get("/problems/<slug>")
@public
def problem_type(slug):
    """The page a problem's `type` URL points at: what it means, in both languages."""
    cls = REGISTRY.get(slug)
    if cls is None:
        abort(404)
    return {"type": f"/problems/{slug}", "status": cls.status, "title": {"vi": cls.title_vi, "en": cls.title_en}}


@bp.get("/")
@bp.get("/<path:path>")
@public
def shell(path: str = "index.html"):
    if path.startswith("api/"):
        abort(404)
    dist = _dist()
    if not (dist / "index.html").exists():
        return ("<!doctype html><meta charset=utf-8><title>Sổ Sức Khỏe</title>"
                "<p>The app is not built yet: run <code>make build</code>.</p>"), 503
    target = dist / path
    if not target.is_file() or dist not in target.resolve().parents:
        path = "index.html"  # a client-side route
    resp = send_from_directory(dist, path)
    if path in ("index.html", "sw.js") or path.endswith(".webmanifest"):
        # the shell and the worker must be revalidated or users keep an old app forever
        resp.headers["Cache-Control"] = "no-cache"
    elif "/assets/" in f"/{path}":
        resp.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    if path == "sw.js":
        resp.headers["Service-Worker-Allowed"] = "/"
    if path.endswith(".webmanifest"):
        resp.mimetype = "application/manifest+json"
    return resp


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
