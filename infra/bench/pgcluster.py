"""A throwaway, durable PostgreSQL cluster for the benchmarks (fsync and synchronous_commit on,
unlike the test cluster), and the small process helpers they share."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa

PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1] if Path("/usr/lib/postgresql").exists() else None
AS_ROOT = os.geteuid() == 0


def as_pg(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """Run a PostgreSQL tool as the postgres user when we are root (initdb refuses root)."""
    if AS_ROOT:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """Starts in a temporary directory on a free port; `stop()` removes it."""

    def __init__(self, prefix: str = "ssk-bench-pg-") -> None:
        self.dir = Path(tempfile.mkdtemp(prefix=prefix))
        self.port = free_port()
        if AS_ROOT:
            shutil.chown(self.dir, "postgres")
        as_pg([str(PG_BIN / "initdb"), "-D", str(self.dir), "-A", "trust", "-U", "postgres", "-E", "UTF8",
               "--locale=C.UTF-8"])
        with open(self.dir / "postgresql.conf", "a") as f:
            f.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.dir}'\n"
                    "max_connections = 200\nshared_buffers = 256MB\nsynchronous_commit = on\nfsync = on\n")
        as_pg([str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-l", str(self.dir / "server.log"), "-w", "start"])
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.sa_url = self.url.replace("postgresql://", "postgresql+psycopg://")

    def settings(self) -> str:
        eng = sa.create_engine(self.sa_url)
        with eng.connect() as c:
            out = ", ".join(f"{n}={c.exec_driver_sql(f'SHOW {n}').scalar()}"
                            for n in ("server_version", "fsync", "synchronous_commit", "shared_buffers"))
        eng.dispose()
        return out

    def postmaster_pid(self) -> int:
        return int((self.dir / "postmaster.pid").read_text().split()[0])

    def stop(self) -> None:
        try:
            as_pg([str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-m", "fast", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
