"""The document store port: schema-flexible, high-volume documents (reaction reports, receipts).

Two adapters behind one small interface: MongoDB through pymongo when MONGO_URL is set, a SQL
JSON table otherwise (embedded mode, and any deployment without MongoDB). Filters are equality
on (dotted) fields plus `{"$in": [...]}`, `{"$gte": x}`, `{"$lt": x}` — the subset both adapters
answer the same way, which the contract suite in tests/api/test_docstore_contract.py checks.
Values are JSON: strings, numbers, booleans, lists, dicts; times as ISO-8601 UTC strings (they
sort as text).
"""
from __future__ import annotations

import copy
import uuid
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects.postgresql import JSONB

from api.db import Base, UTCDateTime

Filter = dict[str, Any]
OPS = ("$in", "$gte", "$gt", "$lte", "$lt")


class DocumentStore(Protocol):
    def insert(self, collection: str, doc: dict, *, now: datetime) -> str: ...
    def get(self, collection: str, doc_id: str) -> dict | None: ...
    def find(self, collection: str, where: Filter | None = None, *, sort: str | None = None,
             descending: bool = False, limit: int = 100) -> list[dict]: ...
    def count(self, collection: str, where: Filter | None = None) -> int: ...
    def set_fields(self, collection: str, doc_id: str, fields: dict, *, expect: Filter | None = None) -> bool: ...


def _check_filter(where: Filter | None) -> Filter:
    for key, value in (where or {}).items():
        if key.startswith("$"):
            raise ValueError(f"top-level operator {key} is not in the portable subset")
        if isinstance(value, dict) and (set(value) - set(OPS)):
            raise ValueError(f"unsupported operators {set(value) - set(OPS)} on {key}")
    return where or {}


# ------------------------------------------------------------------ SQL adapter

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (sa.Index("ix_document_collection_created", "collection", "created_at"),)
    collection: so.Mapped[str] = so.mapped_column(sa.String(64), primary_key=True)
    id: so.Mapped[str] = so.mapped_column(sa.String(36), primary_key=True)
    body: so.Mapped[dict] = so.mapped_column(_JSON)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime)


class SqlDocumentStore:
    """Documents as JSON in one table; filters compiled to JSON path expressions."""

    def __init__(self, sessions: so.sessionmaker) -> None:
        self.sessions = sessions

    def _path(self, key: str, sample: Any):
        expr = Document.body[tuple(key.split("."))]
        if isinstance(sample, bool):
            return expr.as_boolean()
        if isinstance(sample, int):
            return expr.as_integer()
        if isinstance(sample, float):
            return expr.as_float()
        return expr.as_string()

    def _where(self, collection: str, where: Filter | None):
        clauses = [Document.collection == collection]
        for key, value in _check_filter(where).items():
            if key in ("_id", "_created"):  # the id, and the time of the insert (indexed)
                column = Document.id if key == "_id" else Document.created_at
                if isinstance(value, dict):
                    clauses += [self._op(column, op, v) for op, v in value.items()]
                else:
                    clauses.append(column == value)
                continue
            if isinstance(value, dict):
                for op, v in value.items():
                    sample = v[0] if op == "$in" and v else v
                    clauses.append(self._op(self._path(key, sample), op, v))
            else:
                clauses.append(self._path(key, value) == value)
        return clauses

    @staticmethod
    def _op(column, op, v):
        return {"$in": lambda: column.in_(v), "$gte": lambda: column >= v, "$gt": lambda: column > v,
                "$lte": lambda: column <= v, "$lt": lambda: column < v}[op]()

    def insert(self, collection: str, doc: dict, *, now: datetime, session: so.Session | None = None) -> str:
        body = copy.deepcopy(doc)
        doc_id = str(body.pop("_id", None) or uuid.uuid4())
        row = Document(collection=collection, id=doc_id, body=body, created_at=now)
        if session is not None:  # join the caller's transaction (e.g. with an outbox row)
            session.add(row)
            session.flush()
        else:
            with self.sessions.begin() as s:
                s.add(row)
        return doc_id

    def get(self, collection: str, doc_id: str) -> dict | None:
        with self.sessions.begin() as s:
            row = s.get(Document, (collection, doc_id))
            return {"_id": row.id, **row.body} if row else None

    def find(self, collection: str, where: Filter | None = None, *, sort: str | None = None,
             descending: bool = False, limit: int = 100) -> list[dict]:
        q = sa.select(Document).where(*self._where(collection, where))
        if sort:
            col = Document.created_at if sort == "_created" else (
                Document.id if sort == "_id" else Document.body[tuple(sort.split("."))].as_string())
            q = q.order_by(col.desc() if descending else col, Document.id)
        with self.sessions.begin() as s:
            return [{"_id": r.id, **r.body} for r in s.scalars(q.limit(limit))]

    def count(self, collection: str, where: Filter | None = None) -> int:
        with self.sessions.begin() as s:
            return s.scalar(sa.select(sa.func.count()).select_from(Document).where(*self._where(collection, where)))

    def set_fields(self, collection: str, doc_id: str, fields: dict, *, expect: Filter | None = None,
                   session: so.Session | None = None) -> bool:
        """Set top-level fields; with `expect`, only if the document still matches (compare-and-set)."""
        def run(s: so.Session) -> bool:
            row = s.scalar(sa.select(Document).where(Document.id == doc_id, *self._where(collection, expect))
                           .with_for_update())
            if row is None:
                return False
            row.body = {**row.body, **copy.deepcopy(fields)}
            s.flush()
            return True

        if session is not None:
            return run(session)
        with self.sessions.begin() as s:
            return run(s)


# ------------------------------------------------------------------ MongoDB adapter

class MongoDocumentStore:
    """pymongo; the client is made in create_app (after fork), never at import."""

    def __init__(self, database) -> None:
        self.db = database

    @staticmethod
    def _mongo_filter(where: Filter | None) -> Filter:
        return dict(_check_filter(where))

    def insert(self, collection: str, doc: dict, *, now: datetime, session=None) -> str:
        body = copy.deepcopy(doc)
        body["_id"] = str(body.get("_id") or uuid.uuid4())
        body["_created"] = now
        self.db[collection].insert_one(body)
        return body["_id"]

    @staticmethod
    def _out(doc: dict | None) -> dict | None:
        if doc is None:
            return None
        doc.pop("_created", None)
        return doc

    def get(self, collection: str, doc_id: str) -> dict | None:
        return self._out(self.db[collection].find_one({"_id": doc_id}))

    def find(self, collection: str, where: Filter | None = None, *, sort: str | None = None,
             descending: bool = False, limit: int = 100) -> list[dict]:
        cursor = self.db[collection].find(self._mongo_filter(where))
        if sort:
            cursor = cursor.sort([(sort, -1 if descending else 1), ("_id", 1)])
        return [self._out(d) for d in cursor.limit(limit)]

    def count(self, collection: str, where: Filter | None = None) -> int:
        return self.db[collection].count_documents(self._mongo_filter(where))

    def set_fields(self, collection: str, doc_id: str, fields: dict, *, expect: Filter | None = None,
                   session=None) -> bool:
        result = self.db[collection].update_one({"_id": doc_id, **self._mongo_filter(expect)},
                                                {"$set": copy.deepcopy(fields)})
        return result.matched_count == 1


def make_store(mongo_url: str, sessions: so.sessionmaker, *, client_factory=None) -> DocumentStore:
    if not mongo_url:
        return SqlDocumentStore(sessions)
    import pymongo

    client = (client_factory or pymongo.MongoClient)(mongo_url, tz_aware=True)
    name = pymongo.uri_parser.parse_uri(mongo_url).get("database") or "ssk"
    return MongoDocumentStore(client[name])

