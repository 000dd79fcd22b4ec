"""What other domains do when a dose record is written or changes.

`on_dose_recorded` is called on the site's hot path, in the transaction that writes a new dose
record (status 'valid', version 1), before the stock row is taken (a slow hook must not hold the
hot stock lock). `on_dose_changed` is called inside the transaction that wrote the change, after
the dose row is flushed and before the commit, when a dose record:
- is approved after a backfill or an import (pending_approval → 'valid');
- is corrected ('corrected'), voided ('voided') or renumbered (dose_number/series changed).

The passport issuer (issue 5) fills it: re-issue the holder's certificate from their counted
doses (`status IN models.COUNTED`) and revoke the one it replaces. Keep the work transactional
(rows in this session, messages through notifications.outbox.enqueue in the same session): an
exception here rolls the dose change back, and whatever the hook did outside the database
cannot be rolled back with it.

`dose` carries every column. On the site's hot path the row was written with a Core INSERT and
`dose` is a DoseRecord built from the same values, not attached to the session: read it, query by
`dose.id` or `dose.person_id` if you need more, do not modify it (changes go through corrections).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy.orm as so

from api.certificates import service as certificates
from api.vaccination.models import DoseRecord


def on_dose_recorded(session: so.Session, dose: DoseRecord, now: datetime, *, person_name: str,
                     person_phone: str | None) -> None:
    """A new dose was given at a site: the holder's current passports no longer tell the whole
    story. They are superseded (not revoked: what they say stays true) and the next read issues
    new ones; the holder and guardians are told. Issue-on-read keeps three signatures, the
    holder's dose history and three certificate rows off the site's hot path (measured: the
    inline re-issue cost more than half of a dose record's server time)."""
    certificates.supersede_after_new_dose(session, dose.person_id, dose_id=dose.id, now=now,
                                          person_name=person_name, person_phone=person_phone)


def on_dose_changed(session: so.Session, dose: DoseRecord, now: datetime) -> None:
    """A dose record was written or changed: re-issue the holder's passports when what they say
    changed (a pending backfill changes nothing), revoke the old UVCI, tell holder and guardians.

    Signing is three ES256 signatures (~0.1 ms): cheap enough for the site's hot path.
    """
    certificates.reissue_after_change(session, dose.person_id, now=now,
                                      reason="superseded: dose record changed")


def on_person_changed(session: so.Session, person, now: datetime) -> None:
    """An approved correction changed a person's name, birth date, sex or ID number: the
    passports carry name and birth date, so they are re-issued (an ID number or sex change leaves
    them as they are: neither is in any QR)."""
    certificates.reissue_after_change(session, person.id, now=now,
                                      reason="superseded: personal data corrected")
