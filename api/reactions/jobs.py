"""Scheduled jobs of the reactions domain (registered in api/notify/registry.py JOBS).

The scheduler runs `job(session, now)` inside the app (flask CLI). The escalation job needs the
app's document store as well, which only the app knows: this module is the edge that fetches it
(the service takes it as an argument, as everywhere else).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy.orm as so
from flask import current_app

from api.reactions import service


def reaction_followups(session: so.Session, now: datetime) -> int:
    """Day 1 and day 7 check-ins after a dose (reaction_followup_day1/day7)."""
    return service.followup_reminders(session, now)


def escalate_serious_reactions(session: so.Session, now: datetime) -> int:
    """Serious reports nobody acknowledged in time: alert the next unit up."""
    return service.escalate_unacknowledged(session, current_app.extensions["ssk_docstore"], now)
