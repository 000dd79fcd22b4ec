"""One-time codes, sessions and the signed-in principal. No Flask here: the edge passes `now`."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
import sqlalchemy.orm as so

from api.auth.models import Account, OtpChallenge, RoleAssignment, UserSession
from api.auth.problems import CodeExpired, CodeWrong, RateLimited, TooManyTries
from api.catalog.models import OrgUnit
from api.db import UTCDateTime
from api.problems import NotFound

SESSION_TOUCH = timedelta(minutes=5)
STAFF_ROLES = ("site_staff", "department_staff", "national_admin", "checkpoint_officer")


@dataclass(frozen=True)
class OtpPolicy:
    pepper: bytes
    ttl: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    per_phone_per_hour: int = 5
    per_ip_per_hour: int = 30


@dataclass(frozen=True)
class Role:
    role: str
    unit_id: str | None
    unit_path: str | None
    unit_name: str | None
    province_code: int | None = None


@dataclass(frozen=True)
class Principal:
    account_id: str
    person_id: str | None
    phone: str
    via: str
    session_id: str
    csrf_token: str
    roles: tuple[Role, ...]  # only roles in force: staff roles need a passkey session
    held_roles: tuple[Role, ...]  # every role assigned, in force or not
    last_seen_at: datetime

    def has(self, *roles: str) -> bool:
        return any(r.role in roles for r in self.roles)

    @property
    def staff_needs_passkey(self) -> bool:
        return bool(self.held_roles) and not self.roles


def _hash_code(policy: OtpPolicy, challenge_id: str, code: str) -> str:
    # A 6-digit code has only 10^6 values: a plain hash would fall to brute force from a DB dump,
    # so it is keyed with the server secret (a pepper) and bound to its challenge.
    return hmac.new(policy.pepper, f"{challenge_id}:{code}".encode(), hashlib.sha256).hexdigest()


def request_code(session: so.Session, policy: OtpPolicy, *, phone: str, ip: str, purpose: str,
                 now: datetime, subject_id: str | None = None) -> tuple[OtpChallenge, str]:
    """Create a challenge and return it with the clear code (for the SMS, never stored).

    :raises RateLimited: more than the hourly allowance for this phone or this address.
    """
    hour_ago = now - timedelta(hours=1)
    for column, value, limit in ((OtpChallenge.phone, phone, policy.per_phone_per_hour),
                                 (OtpChallenge.ip, ip, policy.per_ip_per_hour)):
        times = session.scalars(sa.select(OtpChallenge.created_at).where(
            column == value, OtpChallenge.created_at > hour_ago)
            .order_by(OtpChallenge.created_at.desc()).limit(limit)).all()
        if len(times) >= limit:
            retry = max(1, int((times[-1] + timedelta(hours=1) - now).total_seconds()) + 1)
            raise RateLimited(f"Too many codes requested; try again in {retry} s.",
                              detail_vi=f"Yêu cầu mã quá nhiều; hãy thử lại sau {retry} giây.",
                              headers={"Retry-After": str(retry)}, retry_after=retry)
    code = f"{secrets.randbelow(10**6):06d}"
    challenge = OtpChallenge(phone=phone, purpose=purpose, subject_id=subject_id, ip=ip,
                             created_at=now, expires_at=now + policy.ttl, code_hash="")
    session.add(challenge)
    session.flush()
    challenge.code_hash = _hash_code(policy, challenge.id, code)
    return challenge, code


def check_code(sessions: so.sessionmaker, policy: OtpPolicy, *, challenge_id: str, code: str,
               purpose: str, now: datetime) -> OtpChallenge:
    """Spend one try on a challenge; on success mark it used (single use).

    The try is committed in its own transaction before the code is compared, so a wrong code
    (which raises) still counts, and parallel guesses cannot share one try.
    :raises CodeExpired, TooManyTries, CodeWrong:
    """
    with sessions.begin() as session:
        challenge = session.get(OtpChallenge, challenge_id)
        if challenge is None or challenge.purpose != purpose or challenge.used_at or challenge.expires_at <= now:
            raise CodeExpired(errors={"code": ["The code has expired; ask for a new one."]},
                              errors_vi={"code": ["Mã đã hết hạn; hãy yêu cầu mã mới."]})
        counted = session.execute(sa.update(OtpChallenge).where(
            OtpChallenge.id == challenge_id, OtpChallenge.attempts < policy.max_attempts)
            .values(attempts=OtpChallenge.attempts + 1)).rowcount
        attempts = session.scalar(sa.select(OtpChallenge.attempts).filter_by(id=challenge_id))
    if not counted:
        raise TooManyTries(errors={"code": ["Too many wrong codes."]},
                           errors_vi={"code": ["Nhập sai quá nhiều lần."]})
    if not hmac.compare_digest(challenge.code_hash, _hash_code(policy, challenge_id, code)):
        left = policy.max_attempts - attempts
        raise CodeWrong(f"The code is not right; {left} tries left.",
                        detail_vi=f"Mã không đúng; còn {left} lần thử.",
                        errors={"code": [f"Wrong code, {left} tries left."]},
                        errors_vi={"code": [f"Mã không đúng, còn {left} lần thử."]}, tries_left=left)
    with sessions.begin() as session:
        used = session.execute(sa.update(OtpChallenge).where(
            OtpChallenge.id == challenge_id, OtpChallenge.used_at.is_(None)).values(used_at=now)).rowcount
    if not used:  # the same right code raced itself: only one sign-in wins
        raise CodeExpired(errors={"code": ["The code was used already."]},
                          errors_vi={"code": ["Mã đã được sử dụng."]})
    return challenge


def account_for_phone(session: so.Session, phone: str, *, now: datetime) -> tuple[Account, bool]:
    """The account of a proven phone; a new one the first time."""
    if account := session.scalar(sa.select(Account).filter_by(phone=phone)):
        return account, False
    account = Account(phone=phone, created_at=now)
    session.add(account)
    session.flush()
    return account, True


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: so.Session, *, account_id: str, via: str, user_agent: str,
                 now: datetime, days: int) -> tuple[str, UserSession]:
    token = secrets.token_urlsafe(32)
    row = UserSession(token_hash=token_hash(token), csrf_token=secrets.token_urlsafe(24),
                      account_id=account_id, via=via, user_agent=user_agent[:200],
                      created_at=now, last_seen_at=now, expires_at=now + timedelta(days=days))
    session.add(row)
    session.flush()
    return token, row


# Built once: this runs on every signed-in request (bind parameters, cached compilation).
_PRINCIPAL = (
    sa.select(UserSession.id, UserSession.via, UserSession.csrf_token, UserSession.last_seen_at,
              Account.id, Account.person_id, Account.phone,
              RoleAssignment.role, RoleAssignment.unit_id, OrgUnit.path, OrgUnit.name, OrgUnit.province_code)
    .join(Account, Account.id == UserSession.account_id)
    .outerjoin(RoleAssignment, RoleAssignment.account_id == Account.id)
    .outerjoin(OrgUnit, OrgUnit.id == RoleAssignment.unit_id)
    .where(UserSession.token_hash == sa.bindparam("token_hash"), UserSession.revoked_at.is_(None),
           UserSession.expires_at > sa.bindparam("now", type_=UTCDateTime), Account.disabled_at.is_(None)))


def load_principal(session: so.Session | sa.Connection, token: str, *, now: datetime) -> Principal | None:
    """The principal behind a session cookie, or None when it is unknown, expired or revoked.

    One round trip (Core rows, no ORM objects).
    """
    rows = session.execute(_PRINCIPAL, {"token_hash": token_hash(token), "now": now}).all()
    if not rows:
        return None
    sid, via, csrf, last_seen, account_id, person_id, phone = rows[0][:7]
    held = tuple(Role(r[7], r[8], r[9], r[10], r[11]) for r in rows if r[7] is not None)
    return Principal(account_id=account_id, person_id=person_id, phone=phone, via=via, session_id=sid,
                     csrf_token=csrf, roles=held if via == "passkey" else (), held_roles=held,
                     last_seen_at=_aware(last_seen))


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def touch_session(session: so.Session, principal: Principal, *, now: datetime) -> None:
    """Record activity at most every 5 minutes per session (reads stay read-only)."""
    if now - principal.last_seen_at > SESSION_TOUCH:
        session.execute(sa.update(UserSession).where(UserSession.id == principal.session_id)
                        .values(last_seen_at=now))


def list_sessions(session: so.Session, account_id: str, *, now: datetime) -> list[UserSession]:
    return list(session.scalars(sa.select(UserSession).where(
        UserSession.account_id == account_id, UserSession.revoked_at.is_(None),
        UserSession.expires_at > now).order_by(UserSession.last_seen_at.desc())))


def revoke_session(session: so.Session, account_id: str, session_id: str, *, now: datetime) -> None:
    """:raises NotFound: not a live session of this account."""
    done = session.execute(sa.update(UserSession).where(
        UserSession.id == session_id, UserSession.account_id == account_id,
        UserSession.revoked_at.is_(None)).values(revoked_at=now)).rowcount
    if not done:
        raise NotFound("No such session.", detail_vi="Không có phiên đăng nhập này.")


def assign_role(session: so.Session, *, account_id: str, role: str, unit_id: str | None,
                now: datetime) -> RoleAssignment:
    if role not in STAFF_ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(STAFF_ROLES)}")
    if role != "checkpoint_officer" and unit_id is None:
        raise ValueError(f"{role} needs an organisation unit")
    existing = session.scalar(sa.select(RoleAssignment).filter_by(
        account_id=account_id, role=role, unit_id=unit_id))
    if existing:
        return existing
    ra = RoleAssignment(account_id=account_id, role=role, unit_id=unit_id, created_at=now)
    session.add(ra)
    return ra
