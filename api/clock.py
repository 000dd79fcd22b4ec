"""The one place the edge reads the time; tests put a fixed clock in app.extensions['ssk_clock']."""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from api.db import utcnow


def now() -> datetime:
    return current_app.extensions.get("ssk_clock", utcnow)()


class FixedClock:
    """A settable clock for tests and the demo: `clock.advance(minutes=5)`."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> None:
        from datetime import timedelta

        self.at = self.at + timedelta(**delta)
