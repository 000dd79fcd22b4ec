"""What the HTTP benchmarks share: a throwaway, durable PostgreSQL cluster (fsync and
synchronous_commit on, unlike the test cluster), gunicorn start/stop, and the raw-HTTP client."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1] if Path("/usr/lib/postgresql").exists() else None
AS_ROOT = os.geteuid() == 0
ROOT = Path(__file__).resolve().parents[2]


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


def start_gunicorn(target: str, env: dict, port: int, workers: int, cwd: Path, logs: Path) -> subprocess.Popen:
    """gunicorn with the app's own settings (infra/gunicorn.conf.py), ready when its port answers."""
    cmd = [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "infra/gunicorn.conf.py"),
           "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--backlog", "2048", target]
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=open(logs / f"gunicorn-{port}.log", "w"), start_new_session=True)
    for _ in range(300):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not start: see {logs}/gunicorn-{port}.log")


def stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def request_bytes(method: str, path: str, body: dict | None, headers: dict) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + payload


async def one_request(port: int, raw: bytes) -> tuple[int, float]:
    t0 = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    data = await reader.read()  # sync workers close the connection after the answer
    writer.close()
    status = int(data[9:12]) if data[:5] == b"HTTP/" else 0
    return status, time.perf_counter() - t0


# ---------------------------------------------------------------- CPU accounting (where the time goes)

TICK = os.sysconf("SC_CLK_TCK")


def _tree(root: int) -> list[int]:
    """root and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_seconds(root: int) -> float:
    """User + system CPU of a process tree, including its already-reaped children."""
    total = 0.0
    for pid in _tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15]) / TICK  # utime stime cutime cstime
    return total
