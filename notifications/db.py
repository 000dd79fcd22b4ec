"""An engine for the worker's own process (the API passes its own engine when it embeds one).

The SQLite settings match api/db.py's make_engine (copied: this package never imports `api`).
"""
from __future__ import annotations

import sqlalchemy as sa


def make_engine(url: str, *, pool_size: int = 2) -> sa.Engine:
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Take the write lock at BEGIN (IMMEDIATE): writers queue on busy_timeout instead of
            # failing with "database is locked" when a read transaction upgrades to a write.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # A worker works one message at a time: two connections (claim, record) are plenty.
    return sa.create_engine(url, pool_size=pool_size, max_overflow=2, pool_pre_ping=True)
