"""The two lists other domains extend with one line each: reminder jobs and campaign targets.

Entries are "module:function" strings, imported when first used (as api/app.py does with its
blueprints), so api.notify never imports the domains that call notify() and no import cycle
can form.

Scheduled jobs (`flask --app wsgi notifications schedule` runs them, each in its own
transaction): `job(session, now) -> int`, the number of messages it enqueued. A job finds what
is due and calls `api.notify.service.notify(...)` with a dedupe key derived from the cause, so
running it again (every minute, from two hosts, after a crash) enqueues nothing new. Sketch:

    def appointment_day_before(session, now):
        # bookings whose slot starts between 18 and 30 hours from now, not cancelled
        n = 0
        for booking, slot, site, person in session.execute(...):
            key = f"appt-day-before:{booking.id}:{slot.starts_at:%Y%m%dT%H%M}"
            n += len(notify(session, person_id=person.id, template="appointment_day_before",
                            params={...}, dedupe_key=key, now=now))
        return n

Put the slot's start in the key: a rescheduled booking is reminded again for its new time.

Campaign targets: `narrow(query, target, today) -> query`. `query` selects `Person.id` already
limited to the target's province/ward/age range; a kind adds its own conditions (`target` is
api.notify.service.Target: kind, province_code, ward_code, min_age, max_age, product_code, dose).
"""
from __future__ import annotations

JOBS: tuple[str, ...] = (
    "api.notify.service:continue_campaigns",
    # Reminder kinds, one line each as they land (see the module docstring):
    "api.notify.reminders:appointment_day_before",
    "api.notify.reminders:appointment_2h",
    "api.notify.reminders:next_dose_due",
    "api.notify.reminders:next_dose_overdue",
    "api.stats.service:refresh_stats",  # aggregates, not messages: returns the records it moved
    "api.reactions.jobs:reaction_followups",
    "api.reactions.jobs:escalate_serious_reactions",
    "api.booking.service:release_expired_job",  # seats of unconfirmed and missed bookings
)

TARGETS: dict[str, str] = {
    "residents": "api.notify.service:residents",
    # Needs dose records: people who had dose N-1 of a product and are past the interval
    # without dose N. The vaccination domain registers it here:
    # "overdue_dose": "api.vaccination.service:overdue_for_dose",
}


def load(spec: str):
    module, _, name = spec.partition(":")
    return getattr(__import__(module, fromlist=[name]), name)
