"""Profiles, dependants, guardianship and hand-over, the personal QR, and staff look-ups."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.audit import service as audit
from api.auth.models import Account, OtpChallenge
from api.auth.service import Principal
from api.people.cccd import cccd_problems
from api.people.models import Guardianship, Person, PersonalQr, ProfileClaim
from api.people.problems import (AlreadyGuardian, ClaimInvalid, DependantExists, LastGuardian,
                                 NationalIdInvalid, NationalIdTaken, NotGuardian, OutOfScope,
                                 ProfileClaimable, ProfileMissing, QrInvalid, QrRevoked,
                                 VersionMismatch)
from api.places import service as places
from api.problems import Conflict, NotFound, ValidationFailed
from signing.personal_qr import TokenInvalid, make_personal_token, read_personal_token

PROFILE_FIELDS = ("full_name", "date_of_birth", "sex", "national_id", "phone", "province_code",
                  "ward_code", "address_line")


@dataclass(frozen=True)
class Managed:
    person: Person
    relation: str  # self | dependant
    has_account: bool


# ---------------------------------------------------------------- checks

def _check_identity(fields: dict, *, today: date) -> None:
    dob, sex, number = fields.get("date_of_birth"), fields.get("sex"), fields.get("national_id")
    if dob is not None and dob > today:
        raise ValidationFailed("The date of birth is in the future.",
                               detail_vi="Ngày sinh ở tương lai.",
                               errors={"date_of_birth": ["Cannot be in the future."]},
                               errors_vi={"date_of_birth": ["Không thể ở tương lai."]})
    if number:
        wrong = cccd_problems(number, dob, sex)
        if wrong:
            raise NationalIdInvalid(" ".join(en for en, _ in wrong),
                                    detail_vi=" ".join(vi for _, vi in wrong),
                                    errors={"national_id": [en for en, _ in wrong]},
                                    errors_vi={"national_id": [vi for _, vi in wrong]})
    places.check_address(fields.get("province_code"), fields.get("ward_code"))


def _account_of(session: so.Session, person_id: str) -> Account | None:
    return session.scalar(sa.select(Account).filter_by(person_id=person_id))


def _check_id_free(session: so.Session, number: str | None, *, except_person: str | None,
                   account_id: str | None = None) -> None:
    if not number:
        return
    holder = session.scalar(sa.select(Person).filter_by(national_id=number))
    if holder is None or holder.id == except_person:
        return
    if account_id and _is_guardian(session, account_id, holder.id):
        raise DependantExists(errors={"national_id": ["Already one of your dependants."]},
                              errors_vi={"national_id": ["Đã có trong danh sách người phụ thuộc."]},
                              person_id=holder.id)
    if account_id and _account_of(session, holder.id) is None and except_person is None:
        raise ProfileClaimable(errors={"national_id": ["Claim the profile your guardian keeps."]},
                               errors_vi={"national_id": ["Hãy nhận lại hồ sơ người giám hộ đang giữ."]})
    raise NationalIdTaken(errors={"national_id": ["Already registered to another person."]},
                          errors_vi={"national_id": ["Đã được đăng ký cho người khác."]})


def _is_guardian(session: so.Session, account_id: str, person_id: str) -> bool:
    return session.scalar(sa.select(sa.func.count()).select_from(Guardianship).where(
        Guardianship.person_id == person_id, Guardianship.guardian_account_id == account_id,
        Guardianship.status == "active")) > 0


def check_can_act_for(session: so.Session, principal: Principal, person_id: str) -> str:
    """'self' or 'dependant' when this account may act for the person.

    :raises NotGuardian: anyone else, including staff (they use the audited staff look-up).
    """
    if principal.person_id == person_id:
        return "self"
    if _is_guardian(session, principal.account_id, person_id):
        return "dependant"
    raise NotGuardian()


# ---------------------------------------------------------------- profiles

def get_person(session: so.Session, principal: Principal, person_id: str) -> Managed:
    relation = check_can_act_for(session, principal, person_id)
    person = session.get_one(Person, person_id)
    return Managed(person, relation, _account_of(session, person_id) is not None)


def managed_people(session: so.Session, principal: Principal) -> list[Managed]:
    out = []
    if principal.person_id:
        out.append(Managed(session.get_one(Person, principal.person_id), "self", True))
    rows = session.execute(
        sa.select(Person, Account.id).join(Guardianship, Guardianship.person_id == Person.id)
        .outerjoin(Account, Account.person_id == Person.id)
        .where(Guardianship.guardian_account_id == principal.account_id,
               Guardianship.status == "active").order_by(Person.date_of_birth))
    out.extend(Managed(p, "dependant", acc is not None) for p, acc in rows)
    return out


def save_own_profile(session: so.Session, principal: Principal, fields: dict, *,
                     signer_for_qr, now: datetime) -> Managed:
    """Create the signed-in account's own profile, or update it.

    :raises NationalIdInvalid, NationalIdTaken, ProfileClaimable, ValidationFailed:
    """
    if principal.person_id:
        person = session.get_one(Person, principal.person_id)
        return Managed(_update(session, person, fields, principal, now=now), "self", True)
    _check_identity(fields, today=now.date())
    _check_id_free(session, fields.get("national_id"), except_person=None,
                   account_id=principal.account_id)
    person = Person(**{k: fields.get(k) for k in PROFILE_FIELDS}, created_by=principal.account_id,
                    created_at=now, updated_at=now)
    person.phone = fields.get("phone") or principal.phone
    person.address_line = person.address_line or ""
    session.add(person)
    session.flush()
    session.execute(sa.update(Account).where(Account.id == principal.account_id)
                    .values(person_id=person.id))
    issue_qr(session, person.id, signer_for_qr, now=now)
    audit.record(session, actor=principal.account_id, action="person.create", person_id=person.id, now=now)
    return Managed(person, "self", True)


def _update(session: so.Session, person: Person, fields: dict, principal: Principal, *,
            now: datetime, expected_version: int | None = None) -> Person:
    if expected_version is not None and expected_version != person.version:
        raise VersionMismatch(current_version=person.version)
    merged = {k: fields.get(k, getattr(person, k)) for k in PROFILE_FIELDS}
    _check_identity(merged, today=now.date())
    _check_id_free(session, merged["national_id"], except_person=person.id)
    changed = {k: v for k, v in merged.items() if v != getattr(person, k)}
    for k, v in changed.items():
        setattr(person, k, v)
    if changed:
        person.updated_at = now
        audit.record(session, actor=principal.account_id, action="person.update", person_id=person.id,
                     now=now, fields=sorted(changed))
    session.flush()
    return person


def update_person(session: so.Session, principal: Principal, person_id: str, fields: dict, *,
                  expected_version: int | None, now: datetime) -> Managed:
    relation = check_can_act_for(session, principal, person_id)
    person = session.get_one(Person, person_id)
    _update(session, person, fields, principal, now=now, expected_version=expected_version)
    return Managed(person, relation, _account_of(session, person_id) is not None)


def add_dependant(session: so.Session, principal: Principal, fields: dict, relationship: str, *,
                  signer_for_qr, now: datetime) -> Managed:
    """:raises ProfileMissing, DependantExists, NationalIdTaken, NationalIdInvalid:"""
    if not principal.person_id:
        raise ProfileMissing()
    _check_identity(fields, today=now.date())
    _check_id_free(session, fields.get("national_id"), except_person=None,
                   account_id=principal.account_id)
    # Without an ID number, the same name and birth date among one's dependants is the same child.
    same = session.scalar(
        sa.select(Person.id).join(Guardianship, Guardianship.person_id == Person.id).where(
            Guardianship.guardian_account_id == principal.account_id, Guardianship.status == "active",
            sa.func.lower(Person.full_name) == fields["full_name"].lower(),
            Person.date_of_birth == fields["date_of_birth"]))
    if same:
        raise DependantExists(errors={"full_name": ["Already one of your dependants."]},
                              errors_vi={"full_name": ["Đã có trong danh sách người phụ thuộc."]},
                              person_id=same)
    person = Person(**{k: fields.get(k) for k in PROFILE_FIELDS}, created_by=principal.account_id,
                    created_at=now, updated_at=now)
    person.address_line = person.address_line or ""
    session.add(person)
    session.flush()
    session.add(Guardianship(person_id=person.id, guardian_account_id=principal.account_id,
                             relationship=relationship, status="active", invited_by=principal.account_id,
                             created_at=now))
    issue_qr(session, person.id, signer_for_qr, now=now)
    audit.record(session, actor=principal.account_id, action="dependant.add", person_id=person.id, now=now)
    return Managed(person, "dependant", False)


# ---------------------------------------------------------------- guardians

def guardians_of(session: so.Session, principal: Principal, person_id: str) -> list[tuple[Guardianship, Account | None, Person | None]]:
    check_can_act_for(session, principal, person_id)
    return list(session.execute(
        sa.select(Guardianship, Account, Person)
        .outerjoin(Account, Account.id == Guardianship.guardian_account_id)
        .outerjoin(Person, Person.id == Account.person_id)
        .where(Guardianship.person_id == person_id, Guardianship.status != "ended")
        .order_by(Guardianship.created_at)))


def invite_guardian(session: so.Session, principal: Principal, person_id: str, *, phone: str,
                    relationship: str, now: datetime) -> Guardianship:
    """A second guardian: pending until the account with that phone accepts."""
    if check_can_act_for(session, principal, person_id) != "dependant":
        raise NotGuardian("Only a guardian invites another guardian.",
                          detail_vi="Chỉ người giám hộ mới mời được người giám hộ khác.")
    invitee = session.scalar(sa.select(Account).filter_by(phone=phone))
    if invitee and (invitee.person_id == person_id or _is_guardian(session, invitee.id, person_id)):
        raise AlreadyGuardian()
    if session.scalar(sa.select(Guardianship.id).filter_by(
            person_id=person_id, invited_phone=phone, status="pending")):
        raise AlreadyGuardian("An invitation to this phone is already waiting.",
                              detail_vi="Đã có lời mời đang chờ số điện thoại này.")
    link = Guardianship(person_id=person_id, invited_phone=phone, invited_by=principal.account_id,
                        relationship=relationship, status="pending", created_at=now)
    session.add(link)
    session.flush()
    audit.record(session, actor=principal.account_id, action="guardian.invite", person_id=person_id, now=now)
    return link


def invitations_for(session: so.Session, principal: Principal) -> list[tuple[Guardianship, Person, Person | None]]:
    inviter = so.aliased(Person)
    inviter_account = so.aliased(Account)
    return list(session.execute(
        sa.select(Guardianship, Person, inviter)
        .join(Person, Person.id == Guardianship.person_id)
        .outerjoin(inviter_account, inviter_account.id == Guardianship.invited_by)
        .outerjoin(inviter, inviter.id == inviter_account.person_id)
        .where(Guardianship.invited_phone == principal.phone, Guardianship.status == "pending")))


def answer_invitation(session: so.Session, principal: Principal, invitation_id: str, *, accept: bool,
                      now: datetime) -> Managed | None:
    link = session.get(Guardianship, invitation_id)
    if link is None or link.status != "pending" or link.invited_phone != principal.phone:
        raise NotFound("No such invitation.", detail_vi="Không có lời mời này.")
    if not accept:
        link.status, link.ended_at = "ended", now
        return None
    if not principal.person_id:
        raise ProfileMissing()
    if _is_guardian(session, principal.account_id, link.person_id):
        link.status, link.ended_at = "ended", now
        raise AlreadyGuardian()
    link.guardian_account_id, link.status = principal.account_id, "active"
    session.flush()
    audit.record(session, actor=principal.account_id, action="guardian.accept", person_id=link.person_id, now=now)
    person = session.get_one(Person, link.person_id)
    return Managed(person, "dependant", _account_of(session, person.id) is not None)


def end_guardianship(session: so.Session, principal: Principal, person_id: str, link_id: str, *,
                     now: datetime) -> None:
    """A guardian may end their own link or withdraw an invitation; the holder may end any link."""
    relation = check_can_act_for(session, principal, person_id)
    link = session.get(Guardianship, link_id)
    if link is None or link.person_id != person_id or link.status == "ended":
        raise NotFound("No such guardian.", detail_vi="Không có người giám hộ này.")
    if relation == "dependant" and link.status == "active" and link.guardian_account_id != principal.account_id:
        raise NotGuardian("You can end only your own link.", detail_vi="Bạn chỉ có thể kết thúc liên kết của mình.")
    if link.status == "active" and _account_of(session, person_id) is None:
        others = session.scalar(sa.select(sa.func.count()).select_from(Guardianship).where(
            Guardianship.person_id == person_id, Guardianship.status == "active", Guardianship.id != link.id))
        if not others:
            raise LastGuardian()
    link.status, link.ended_at = "ended", now
    audit.record(session, actor=principal.account_id, action="guardian.end", person_id=person_id, now=now)


# ---------------------------------------------------------------- hand-over

def start_claim(session: so.Session, principal: Principal, *, national_id: str, date_of_birth: date,
                now: datetime) -> tuple[ProfileClaim, str]:
    """Find the profile a guardian keeps for this person; returns the claim and the phone to prove.

    The code goes to the phone on the profile; if it has none, to a guardian's phone (the guardian
    then passes the code on: knowing an ID number and a birth date must not be enough).
    """
    if principal.person_id:
        raise Conflict("You already have a profile of your own.", detail_vi="Bạn đã có hồ sơ riêng.")
    person = session.scalar(sa.select(Person).filter_by(national_id=national_id))
    if person is None or person.date_of_birth != date_of_birth or _account_of(session, person.id):
        raise ClaimInvalid(errors={"national_id": ["No claimable profile with this ID and birth date."]},
                           errors_vi={"national_id": ["Không có hồ sơ khớp số CCCD và ngày sinh."]})
    phone = person.phone or session.scalar(
        sa.select(Account.phone).join(Guardianship, Guardianship.guardian_account_id == Account.id)
        .where(Guardianship.person_id == person.id, Guardianship.status == "active").limit(1))
    if not phone:
        raise ClaimInvalid("The profile has no phone to send a code to.",
                           detail_vi="Hồ sơ không có số điện thoại để gửi mã.")
    claim = ProfileClaim(person_id=person.id, account_id=principal.account_id, status="code_sent",
                         created_at=now)
    session.add(claim)
    session.flush()
    return claim, phone


def claim_challenge(session: so.Session, principal: Principal, claim_id: str) -> str:
    """The code challenge that proves this account's claim."""
    claim = session.get(ProfileClaim, claim_id)
    if claim is None or claim.account_id != principal.account_id:
        raise NotFound("No such claim.", detail_vi="Không có yêu cầu này.")
    return session.scalar(sa.select(OtpChallenge.id).filter_by(subject_id=claim_id, purpose="claim")
                          .order_by(OtpChallenge.created_at.desc()).limit(1)) or "-"


def finish_claim(session: so.Session, principal: Principal, claim_id: str, *, keep_guardians: bool,
                 now: datetime) -> Managed:
    """After the code was checked: the profile becomes the account's own."""
    claim = session.get(ProfileClaim, claim_id)
    if claim is None or claim.account_id != principal.account_id or claim.status != "code_sent":
        raise NotFound("No such claim.", detail_vi="Không có yêu cầu này.")
    if _account_of(session, claim.person_id) is not None:
        raise ClaimInvalid("The profile was claimed already.", detail_vi="Hồ sơ đã được nhận.")
    session.execute(sa.update(Account).where(Account.id == principal.account_id)
                    .values(person_id=claim.person_id))
    claim.status = "done"
    if not keep_guardians:
        session.execute(sa.update(Guardianship).where(
            Guardianship.person_id == claim.person_id, Guardianship.status != "ended")
            .values(status="ended", ended_at=now))
    audit.record(session, actor=principal.account_id, action="profile.handover", person_id=claim.person_id,
                 now=now, keep_guardians=keep_guardians)
    return Managed(session.get_one(Person, claim.person_id), "self", True)


# ---------------------------------------------------------------- personal QR

def issue_qr(session: so.Session, person_id: str, signer, *, now: datetime) -> PersonalQr:
    token_id = secrets.token_bytes(16)
    qr = PersonalQr(person_id=person_id, token_id=token_id.hex(), issued_at=now,
                    token=make_personal_token(token_id, signer, now=now))
    session.add(qr)
    session.flush()
    return qr


def current_qr(session: so.Session, principal: Principal, person_id: str, signer, *, now: datetime) -> PersonalQr:
    check_can_act_for(session, principal, person_id)
    qr = session.scalar(sa.select(PersonalQr).where(PersonalQr.person_id == person_id,
                                                    PersonalQr.revoked_at.is_(None)))
    return qr or issue_qr(session, person_id, signer, now=now)


def rotate_qr(session: so.Session, principal: Principal, person_id: str, signer, *, now: datetime) -> PersonalQr:
    check_can_act_for(session, principal, person_id)
    session.execute(sa.update(PersonalQr).where(PersonalQr.person_id == person_id,
                                                PersonalQr.revoked_at.is_(None)).values(revoked_at=now))
    audit.record(session, actor=principal.account_id, action="qr.rotate", person_id=person_id, now=now)
    return issue_qr(session, person_id, signer, now=now)


# ---------------------------------------------------------------- staff

def in_scope(principal: Principal, person: Person, session: so.Session | None = None) -> str | None:
    """The unit through which a staff member may see this person, or None.

    National admins see everyone; site and department staff see residents of their unit's
    province and, given a session, anyone with an active booking at or an allocation to a unit
    within their own (a person booked at a site from another province must still be checked in).
    """
    staff = [r for r in principal.roles if r.role in ("site_staff", "department_staff") and r.unit_path]
    for role in principal.roles:
        if role.role == "national_admin":
            return role.unit_id
    for role in staff:
        if role.province_code is not None and role.province_code == person.province_code:
            return role.unit_id
    if session is None or not staff:
        return None
    # Imported here: booking depends on people, not the other way round at import time.
    from api.booking.models import ACTIVE_BOOKING, Booking, Registration, VaccinationSession
    from api.catalog.models import OrgUnit

    booked = (sa.select(OrgUnit.path).join(VaccinationSession, VaccinationSession.site_id == OrgUnit.id)
              .join(Booking, Booking.session_id == VaccinationSession.id)
              .where(Booking.person_id == person.id, Booking.status.in_(ACTIVE_BOOKING)))
    allocated = (sa.select(OrgUnit.path).join(Registration, Registration.allocated_unit_id == OrgUnit.id)
                 .where(Registration.person_id == person.id))
    paths = set(session.scalars(booked.union(allocated)))
    for role in staff:
        if any(path.startswith(role.unit_path) for path in paths):
            return role.unit_id
    return None


def check_in_scope(session: so.Session, principal: Principal, person_id: str) -> Person:
    """:raises NotFound, OutOfScope:"""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("No such person.", detail_vi="Không có người này.")
    if in_scope(principal, person, session) is None:
        raise OutOfScope()
    return person


def staff_lookup(sessions: so.sessionmaker, principal: Principal, *, qr: str | None,
                 national_id: str | None, phone: str | None, reason: str, token_keys,
                 request_id: str, now: datetime) -> tuple[Person, str]:
    """Resolve a QR, an ID number or a phone to one person within scope; always audited.

    Refused look-ups are audited too, so the audit row is committed before the problem is raised.
    :raises QrInvalid, QrRevoked, NotFound, OutOfScope:
    """
    refusal: Exception | None = None
    with sessions.begin() as session:
        def log(action: str, person_id: str | None = None, unit_id: str | None = None, **details):
            audit.record(session, actor=principal.account_id, action=action, person_id=person_id,
                         unit_id=unit_id, reason=reason, request_id=request_id, now=now, **details)

        person, unit_id = None, None
        if qr:
            try:
                token_id = read_personal_token(qr.strip(), token_keys)
                row = session.scalar(sa.select(PersonalQr).filter_by(token_id=token_id.hex()))
            except TokenInvalid as exc:
                row, refusal = None, QrInvalid(errors={"qr": [f"Not a valid code: {exc}"]},
                                                errors_vi={"qr": ["Mã QR không hợp lệ."]})
            if row is None and refusal is None:
                refusal = QrInvalid(errors={"qr": ["Unknown code."]}, errors_vi={"qr": ["Mã không tồn tại."]})
            elif row is not None and row.revoked_at:
                refusal = QrRevoked()
            elif row is not None:
                person = session.get_one(Person, row.person_id)
        elif national_id:
            person = session.scalar(sa.select(Person).filter_by(national_id=national_id))
        else:
            person = session.scalar(sa.select(Person).filter_by(phone=phone).order_by(Person.created_at))
        if person is None and refusal is None:
            refusal = NotFound("No person matches.", detail_vi="Không tìm thấy người phù hợp.")
        if person is not None and refusal is None:
            unit_id = in_scope(principal, person, session)
            if unit_id is None:
                refusal = OutOfScope()
        by = "qr" if qr else "national_id" if national_id else "phone"
        if refusal is not None:
            log("person.lookup.refused", person.id if person else None, by=by, problem=refusal.slug)
        else:
            log("person.lookup", person.id, unit_id, by=by)
    if refusal is not None:
        raise refusal
    return person, unit_id
