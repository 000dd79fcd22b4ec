"""SQLAlchemy engine and sessions; the declarative Base every domain's models share.

Services own transactions: `with db.sessions().begin() as session: ...`. Nothing is bound at
import time; `init_app` builds the engine from the settings (after gunicorn forks, engines are
recreated lazily per process by SQLAlchemy's pool).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(so.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in and out, on SQLite (which has no time zones) and PostgreSQL alike."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass timezone-aware UTC")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())


def uuid_pk() -> so.Mapped[str]:
    return so.mapped_column(sa.String(36), primary_key=True, default=new_id)


def constant(value, type_=None) -> sa.ColumnElement:
    """A constant written into the SQL text (None, a bool, an int or a plain string of our own),
    where `sa.literal()` would send a bound parameter. For hot statements: psycopg parses a
    statement of more than 50 parameters (or 4 KiB) afresh at every execution, and SQLAlchemy
    re-renders an IN over a bound list (an "expanding" parameter) each time."""
    if value is None:
        return sa.null() if type_ is None else sa.cast(sa.null(), type_)
    if isinstance(value, bool):
        return sa.true() if value else sa.false()
    if isinstance(value, int):
        return sa.literal_column(str(value), type_ or sa.Integer())
    if isinstance(value, str) and all(c.isalnum() or c in " ._-," for c in value):
        return sa.literal_column(f"'{value}'", type_ or sa.String())
    raise ValueError(f"not a constant to write into SQL: {value!r}")


def one_of(column, values) -> sa.ColumnElement[bool]:
    """`column IN ('a', 'b')` over constants, written into the SQL once (see `constant`)."""
    return column.in_([constant(v) for v in values])


def utcnow() -> datetime:
    """The wall clock, for the edge (routes, CLI) only: services take `now=`."""
    return datetime.now(timezone.utc)


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Python's sqlite3 would open transactions lazily and deferred; we take the write lock
            # at BEGIN (IMMEDIATE) so two writers queue on busy_timeout instead of one failing
            # with "database is locked" when it upgrades from read to write.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # Read-only sessions (db.reads()) begin deferred: they never block writers in WAL.
            options = conn.get_execution_options()
            if options.get("isolation_level") == "AUTOCOMMIT":
                return  # one statement, its own implicit transaction
            conn.exec_driver_sql("BEGIN" if options.get("ssk_readonly") else "BEGIN IMMEDIATE")

        return engine
    # Past ~32 connections 2 cores lose throughput (FACTS.md): keep the pool per process small.
    # No pre-ping (a round trip per checkout, measured as 2 of a booking's 10); connections are
    # recycled after 30 min instead, and a dead one fails one request, which the phone retries.
    return sa.create_engine(url, pool_size=8, max_overflow=4, pool_recycle=1800)


def all_metadata() -> list[sa.MetaData]:
    """Our tables and the notification outbox's (which lives outside `api`)."""
    import api.models  # noqa: F401

    out = [Base.metadata]
    try:
        from notifications.models import metadata as outbox_metadata
    except ImportError:  # the outbox package is not there yet
        return out
    return out + [outbox_metadata]


class Database:
    """The Flask extension: one engine and one session factory per app."""

    def init_app(self, app, url: str) -> None:
        engine = make_engine(url)
        app.extensions["ssk_db"] = {
            "engine": engine,
            "sessions": so.sessionmaker(engine, expire_on_commit=False),
            "autocommit": engine.execution_options(isolation_level="AUTOCOMMIT"),
            "reads": so.sessionmaker(engine.execution_options(ssk_readonly=True),
                                     expire_on_commit=False),
        }

    @staticmethod
    def _get(name: str):
        from flask import current_app

        return current_app.extensions["ssk_db"][name]

    def sessions(self) -> so.sessionmaker:
        """Sessions for writes (on SQLite they take the write lock at BEGIN)."""
        return self._get("sessions")

    def autocommit(self) -> sa.Connection:
        """A connection for a single read statement: no BEGIN/COMMIT round trips (hot paths)."""
        return self._get("autocommit").connect()

    def reads(self) -> so.sessionmaker:
        """Sessions for reads only."""
        return self._get("reads")

    @property
    def engine(self) -> sa.Engine:
        return self._get("engine")

    def create_all(self) -> None:
        for metadata in all_metadata():
            metadata.create_all(self.engine)


db = Database()
