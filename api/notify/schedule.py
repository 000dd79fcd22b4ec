"""Run the scheduled jobs of api/notify/registry.py: each in its own transaction, failures apart.

No Flask here: `flask --app wsgi notifications schedule` (api/notify/cli.py) passes the session
factory and the time; tests call run_jobs directly with a fixed clock.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterable

import sqlalchemy.orm as so

from api.notify.registry import JOBS, load

log = logging.getLogger("ssk.notify.schedule")

Job = Callable[[so.Session, datetime], int]


@dataclass(frozen=True)
class JobResult:
    job: str
    enqueued: int
    error: str | None = None


def run_jobs(sessions: so.sessionmaker, now: datetime, *, jobs: Iterable[str] = JOBS,
             only: Iterable[str] | None = None) -> list[JobResult]:
    """Run each job once at `now`; a job that raises is rolled back and reported, not fatal.

    Jobs are idempotent by their dedupe keys, so a schedule that overlaps itself (two hosts,
    a slow run) sends nothing twice.
    """
    wanted = set(only) if only is not None else None
    results = []
    for spec in jobs:
        if wanted is not None and spec not in wanted:
            continue
        try:
            job: Job = load(spec)
            with sessions.begin() as session:
                n = int(job(session, now) or 0)
            results.append(JobResult(spec, n))
        except Exception as exc:  # one broken reminder kind must not stop the others
            log.exception("scheduled job %s failed", spec)
            results.append(JobResult(spec, 0, f"{type(exc).__name__}: {exc}"))
    return results
