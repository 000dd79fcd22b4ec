"""One contract, every document-store adapter.

- SQL JSON table: on SQLite and PostgreSQL (the `app` fixture).
- MongoDB: against `mongomock` here, because no MongoDB server is packaged for this machine; set
  SSK_TEST_MONGO_URL to run the same contract against a real server (pymongo's own client).
"""
from __future__ import annotations

import os

import mongomock
import pytest

from api.db import db
from api.docstore import MongoDocumentStore, SqlDocumentStore
from tests.conftest import FIXED_NOW


@pytest.fixture(params=["sql", "mongomock", "mongo"])
def store(request, app):
    if request.param == "sql":
        with app.app_context():
            yield SqlDocumentStore(db.sessions())
        return
    if request.param == "mongomock":
        if app.extensions["ssk_settings"].database_url.startswith("postgresql"):
            pytest.skip("the Mongo adapter does not depend on the SQL engine: run it once")
        yield MongoDocumentStore(mongomock.MongoClient(tz_aware=True)["ssk_test"])
        return
    url = os.environ.get("SSK_TEST_MONGO_URL")
    if not url or app.extensions["ssk_settings"].database_url.startswith("postgresql"):
        pytest.skip("no MongoDB server here (set SSK_TEST_MONGO_URL to run against one)")
    import pymongo

    client = pymongo.MongoClient(url, tz_aware=True)
    client.drop_database("ssk_contract")
    yield MongoDocumentStore(client["ssk_contract"])
    client.drop_database("ssk_contract")


def reports():
    return [
        {"_id": "r1", "person_id": "p1", "lot": "L1", "serious": False, "score": 1, "onset": "2026-11-20T10:00:00Z",
         "symptoms": ["fever"], "triage": {"status": "new"}},
        {"_id": "r2", "person_id": "p1", "lot": "L2", "serious": True, "score": 5, "onset": "2026-11-21T10:00:00Z",
         "symptoms": ["anaphylaxis"], "triage": {"status": "new"}},
        {"_id": "r3", "person_id": "p2", "lot": "L1", "serious": False, "score": 3, "onset": "2026-11-22T10:00:00Z",
         "symptoms": [], "triage": {"status": "closed"}},
    ]


def fill(store):
    for doc in reports():
        store.insert("reaction_reports", doc, now=FIXED_NOW)


def test_insert_and_get_round_trip(store):
    doc_id = store.insert("reaction_reports", {"person_id": "p9", "nested": {"a": [1, 2]}}, now=FIXED_NOW)
    assert store.get("reaction_reports", doc_id) == {"_id": doc_id, "person_id": "p9", "nested": {"a": [1, 2]}}
    assert store.get("reaction_reports", "missing") is None
    assert store.get("other_collection", doc_id) is None


def test_equality_dotted_and_operator_filters(store):
    fill(store)
    ids = lambda docs: sorted(d["_id"] for d in docs)  # noqa: E731
    assert ids(store.find("reaction_reports", {"person_id": "p1"})) == ["r1", "r2"]
    assert ids(store.find("reaction_reports", {"serious": True})) == ["r2"]
    assert ids(store.find("reaction_reports", {"triage.status": "new"})) == ["r1", "r2"]
    assert ids(store.find("reaction_reports", {"lot": {"$in": ["L2", "L9"]}})) == ["r2"]
    assert ids(store.find("reaction_reports", {"score": {"$gte": 3}})) == ["r2", "r3"]
    assert ids(store.find("reaction_reports", {"onset": {"$gte": "2026-11-21", "$lt": "2026-11-22"}})) == ["r2"]
    assert store.count("reaction_reports", {"lot": "L1"}) == 2
    assert store.count("reaction_reports") == 3


def test_the_time_of_insert_filters(store):
    """`_created` is when the document was inserted: what bounds a scan by an index (the SQL
    table's (collection, created_at), a Mongo field)."""
    from datetime import timedelta

    store.insert("reaction_reports", {"_id": "old", "n": 1}, now=FIXED_NOW - timedelta(days=40))
    store.insert("reaction_reports", {"_id": "new", "n": 1}, now=FIXED_NOW)
    assert [d["_id"] for d in store.find("reaction_reports", {"_created": {"$gte": FIXED_NOW - timedelta(days=30)}})] \
        == ["new"]
    assert store.count("reaction_reports", {"_created": {"$lt": FIXED_NOW - timedelta(days=30)}, "n": 1}) == 1
    assert store.get("reaction_reports", "new") == {"_id": "new", "n": 1}  # not part of the document


def test_sort_and_limit(store):
    fill(store)
    docs = store.find("reaction_reports", sort="onset", descending=True, limit=2)
    assert [d["_id"] for d in docs] == ["r3", "r2"]


def test_compare_and_set(store):
    fill(store)
    assert store.set_fields("reaction_reports", "r1", {"triage": {"status": "acknowledged"}},
                            expect={"triage.status": "new"}) is True
    assert store.set_fields("reaction_reports", "r1", {"triage": {"status": "other"}},
                            expect={"triage.status": "new"}) is False
    assert store.get("reaction_reports", "r1")["triage"] == {"status": "acknowledged"}
    assert store.get("reaction_reports", "r1")["symptoms"] == ["fever"]


def test_non_portable_filters_are_refused(store):
    with pytest.raises(ValueError):
        store.find("reaction_reports", {"$where": "1"})
    with pytest.raises(ValueError):
        store.find("reaction_reports", {"score": {"$regex": "x"}})
