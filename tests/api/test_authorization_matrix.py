"""The authorization matrix: every endpoint declares who may call it, and the guard enforces it.

Walks the app's URL map (so endpoints added later are covered automatically): a view without a
declared policy is refused; anonymous callers get 401 on anything not public; a citizen gets 403
on staff endpoints; a staff member with another role gets 403. Which *owner* may touch which
person is tested per resource in test_people.py (citizen A never reaches B or B's dependants).
"""
from __future__ import annotations

import uuid

import pytest

from api.auth.guard import ANY_STAFF

from tests.api.staffing import staff_client

ROLE_HOME = {"site_staff": "HN-HK", "department_staff": "P01", "national_admin": "VN", "checkpoint_officer": None}


def api_routes(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs."):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def declared_policy(app, rule, method):
    view = app.view_functions[rule.endpoint]
    fn = getattr(view.view_class, method.lower(), None) if hasattr(view, "view_class") else view
    return getattr(fn, "_ssk_policy", None)


def url_for(rule) -> str:
    """A concrete URL for the rule: random ids, 1 for integers, the first choice of an `any`."""
    values = {}
    for arg in rule.arguments:
        conv = rule._converters[arg]
        kind = type(conv).__name__
        values[arg] = (1 if kind == "IntegerConverter" else sorted(conv.items)[0] if kind == "AnyConverter"
                       else str(uuid.uuid4()))
    return rule.build(values)[1]


def call(client, method, path):
    headers = {"Accept-Language": "en"}
    if client.csrf:
        headers["X-CSRF-Token"] = client.csrf
    return client.http.open(path, method=method, json={} if method in ("POST", "PUT", "PATCH") else None,
                            headers=headers)


def test_every_api_endpoint_declares_a_policy(app):
    missing = [f"{m} {r.rule}" for r, m in api_routes(app) if declared_policy(app, r, m) is None]
    assert missing == []


def test_anonymous_gets_401_on_everything_not_public(app, client):
    seen = 0
    for rule, method in api_routes(app):
        policy = declared_policy(app, rule, method)
        if "public" in policy:
            continue
        r = call(client, method, url_for(rule))
        assert r.status_code == 401, f"{method} {rule.rule} → {r.status_code}"
        assert r.headers["Content-Type"].startswith("application/problem+json")
        seen += 1
    assert seen > 20


def test_citizens_get_403_on_staff_endpoints(app, citizen):
    seen = 0
    for rule, method in api_routes(app):
        policy = declared_policy(app, rule, method)
        if "public" in policy or "signed_in" in policy:
            continue
        r = call(citizen, method, url_for(rule))
        assert r.status_code == 403, f"{method} {rule.rule} → {r.status_code}"
        seen += 1
    assert seen >= 2


@pytest.mark.parametrize("role", ANY_STAFF)
def test_staff_get_403_on_endpoints_of_other_roles(app, role):
    staff = staff_client(app, f"090100{ANY_STAFF.index(role):04d}", role, ROLE_HOME[role])
    for rule, method in api_routes(app):
        policy = declared_policy(app, rule, method)
        if "public" in policy or "signed_in" in policy or role in policy:
            continue
        r = call(staff, method, url_for(rule))
        assert r.status_code == 403, f"{role}: {method} {rule.rule} → {r.status_code}"


@pytest.mark.parametrize("role", ANY_STAFF)
def test_staff_reach_their_own_endpoints_past_the_guard(app, role):
    """Past the guard means anything but 401/403 from the role check (404/422 for fake ids is fine)."""
    staff = staff_client(app, f"090200{ANY_STAFF.index(role):04d}", role, ROLE_HOME[role])
    for rule, method in api_routes(app):
        policy = declared_policy(app, rule, method)
        if role not in policy:
            continue
        r = call(staff, method, url_for(rule))
        assert r.status_code != 401, f"{role}: {method} {rule.rule}"
        if r.status_code == 403:
            assert r.json["type"] not in ("/problems/forbidden", "/problems/passkey-required"), (rule.rule, r.json)
