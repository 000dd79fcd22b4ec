"""Notification settings, push devices, the in-app inbox, the fan-out `notify()`, and campaigns.

No Flask here. Every function works in the session it is given, so an outbox row commits with
the change it announces or not at all; `now` always comes from the caller.

Who hears about a person: the person's own account (if any) and every account with an active
guardianship of them; each such account gets one in-app inbox message plus one message per
channel it enabled (every push device; SMS to the account's phone; e-mail to a verified
address), in its language, outside its quiet hours unless the message is an urgent safety one.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Iterator, Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
import sqlalchemy.orm as so
from cryptography.hazmat.primitives.asymmetric import ec

from api.auth.models import Account
from api.auth.problems import TooManyTries
from api.catalog.models import OrgUnit
from api.notify.models import Campaign, FcmToken, NotificationPreference, PushSubscription
from api.notify.problems import (CampaignOutOfScope, CampaignTargetUnavailable, EmailCodeExpired,
                                 EmailCodeWrong, NoEmailToVerify)
from api.notify.registry import TARGETS, load
from api.notify.vapid import unb64u
from api.people.models import Guardianship, Person
from api.people.problems import NotGuardian
from api.places import service as places
from api.problems import NotFound, TooManyRequests, ValidationFailed
from notifications import templates
from notifications.models import CHANNELS, new_id
from notifications.models import outbox_message as outbox
from notifications.outbox import enqueue

VN_TZ = "Asia/Ho_Chi_Minh"
LANGS = ("vi", "en")
DEFAULT_QUIET_HOURS = (time(21, 0), time(7, 0))
MAX_DEVICES = 10  # per account and kind: a bound on how far one message fans out
EMAIL_CODE_TTL = timedelta(minutes=30)
EMAIL_CODE_TRIES = 5
EMAIL_CODE_RESEND_AFTER = timedelta(seconds=60)
SEND_BATCH = 2000  # accounts fanned out inside the POST; the scheduler does the rest
RUN_BUDGET = 20000  # accounts one scheduler run fans out across campaigns
STATUSES = ("pending", "sending", "sent", "dead")
# The browser push services a production server may POST to. Anything else is refused: the
# worker would otherwise send requests to any URL a user chose (SSRF into our network).
PUSH_SERVICE_HOSTS = ("fcm.googleapis.com", "updates.push.services.mozilla.com",
                      "push.services.mozilla.com", "web.push.apple.com", ".push.apple.com",
                      ".notify.windows.com")


# ================================================================ preferences

@dataclass(frozen=True)
class Preferences:
    push: bool = True
    sms: bool = False
    email: bool = False
    email_address: str | None = None
    email_verified: bool = False
    lang: str = "vi"
    quiet_hours: tuple[time, time] | None = DEFAULT_QUIET_HOURS
    time_zone: str = VN_TZ

    @classmethod
    def of(cls, row) -> "Preferences":
        """From a NotificationPreference, or a row with its columns; None: the defaults."""
        if row is None:
            return cls()
        quiet = (row.quiet_start, row.quiet_end) if row.quiet_start is not None else None
        return cls(push=row.push, sms=row.sms, email=row.email, email_address=row.email_address,
                   email_verified=row.email_verified_at is not None, lang=row.lang,
                   quiet_hours=quiet, time_zone=row.time_zone)


@dataclass(frozen=True)
class SettingsView:
    preferences: Preferences
    phone: str
    webpush_devices: int
    fcm_devices: int


def get_settings(session: so.Session, account_id: str) -> SettingsView:
    def devices(model) -> int:
        return session.scalar(sa.select(sa.func.count()).select_from(model)
                              .where(model.account_id == account_id))

    row = session.get(NotificationPreference, account_id)
    phone = session.scalar(sa.select(Account.phone).where(Account.id == account_id))
    return SettingsView(Preferences.of(row), phone, devices(PushSubscription), devices(FcmToken))


def _invalid(field_name: str, en: str, vi: str) -> ValidationFailed:
    return ValidationFailed(en, detail_vi=vi, errors={field_name: [en]}, errors_vi={field_name: [vi]})


def check_time_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _invalid("time_zone", f"Unknown time zone {name!r}.",
                       f"Múi giờ {name!r} không tồn tại.") from None


def _normal_email(address: str | None) -> str | None:
    if not address:
        return None
    local, _, domain = address.strip().rpartition("@")
    return f"{local}@{domain.lower()}"  # the local part is case-sensitive in principle (RFC 5321)


def _code_hash(pepper: bytes, account_id: str, address: str, code: str) -> str:
    # 10^6 codes: keyed with the server secret so a database dump does not reveal them.
    return hmac.new(pepper, f"email:{account_id}:{address}:{code}".encode(),
                    hashlib.sha256).hexdigest()


def save_settings(session: so.Session, account_id: str, *, push: bool, sms: bool, email: bool,
                  email_address: str | None, lang: str, quiet_hours: tuple[time, time] | None,
                  time_zone: str, pepper: bytes, now: datetime) -> tuple[SettingsView, bool]:
    """Replace an account's preferences; a new e-mail address gets a verification code.

    :returns: the settings and whether a code was sent.
    :raises ValidationFailed: unknown time zone or language, empty quiet hours, e-mail on
        without an address.
    """
    if lang not in LANGS:
        raise _invalid("language", "Choose vi or en.", "Hãy chọn vi hoặc en.")
    check_time_zone(time_zone)
    if quiet_hours is not None and quiet_hours[0] == quiet_hours[1]:
        raise _invalid("quiet_hours", "Quiet hours must not start and end at the same time "
                       "(send null for none).",
                       "Giờ yên lặng phải có giờ bắt đầu khác giờ kết thúc (gửi null nếu không dùng).")
    address = _normal_email(email_address)
    if email and not address:
        raise _invalid("email_address", "E-mail on needs an address.",
                       "Bật e-mail cần có địa chỉ e-mail.")
    row = session.get(NotificationPreference, account_id)
    if row is None:
        row = NotificationPreference(account_id=account_id, email_code_attempts=0)
        session.add(row)
    row.push, row.sms, row.email, row.lang, row.time_zone = push, sms, email, lang, time_zone
    row.quiet_start, row.quiet_end = quiet_hours if quiet_hours else (None, None)
    row.updated_at = now
    sent = False
    if address != row.email_address:
        row.email_address, row.email_verified_at, row.email_code_hash = address, None, None
        if address:
            _send_email_code(session, row, pepper=pepper, now=now)
            sent = True
    session.flush()
    return get_settings(session, account_id), sent


def _send_email_code(session: so.Session, row: NotificationPreference, *, pepper: bytes,
                     now: datetime) -> None:
    code = f"{secrets.randbelow(10**6):06d}"
    row.email_code_hash = _code_hash(pepper, row.account_id, row.email_address, code)
    row.email_code_sent_at, row.email_code_attempts = now, 0
    # Only to the address being proven, never to the inbox; no quiet hours: the holder waits.
    enqueue(session, dedupe_key=f"email-code:{row.account_id}:{new_id()}", channel="email",
            to=row.email_address, template="otp_code", lang=row.lang,
            params={"code": code, "minutes": int(EMAIL_CODE_TTL.total_seconds() // 60)},
            account_id=row.account_id, now=now)


def resend_email_code(session: so.Session, account_id: str, *, pepper: bytes,
                      now: datetime) -> str:
    """Send a fresh code to the address waiting for verification; returns the address.

    :raises NoEmailToVerify, TooManyRequests: (one code a minute).
    """
    row = session.get(NotificationPreference, account_id)
    if row is None or not row.email_address or row.email_verified_at is not None:
        raise NoEmailToVerify()
    if row.email_code_sent_at and now - row.email_code_sent_at < EMAIL_CODE_RESEND_AFTER:
        wait = int((row.email_code_sent_at + EMAIL_CODE_RESEND_AFTER - now).total_seconds()) + 1
        raise TooManyRequests(f"Wait {wait} s before asking for another code.",
                              detail_vi=f"Hãy chờ {wait} giây trước khi yêu cầu mã mới.",
                              headers={"Retry-After": str(wait)})
    _send_email_code(session, row, pepper=pepper, now=now)
    return row.email_address


def verify_email(sessions: so.sessionmaker, account_id: str, code: str, *, pepper: bytes,
                 now: datetime) -> SettingsView:
    """Prove the e-mail address with the code sent to it.

    The try is counted and committed before the comparison, so a wrong code cannot be retried
    by making the request fail after it (the same rule as the sign-in codes).
    :raises NoEmailToVerify, EmailCodeExpired, TooManyTries, EmailCodeWrong:
    """
    with sessions.begin() as session:
        row = session.get(NotificationPreference, account_id)
        if row is None or not row.email_address:
            raise NoEmailToVerify()
        if row.email_verified_at is not None:
            return get_settings(session, account_id)
        if row.email_code_hash is None or now >= row.email_code_sent_at + EMAIL_CODE_TTL:
            raise EmailCodeExpired()
        took = session.execute(
            sa.update(NotificationPreference)
            .where(NotificationPreference.account_id == account_id,
                   NotificationPreference.email_code_attempts < EMAIL_CODE_TRIES)
            .values(email_code_attempts=NotificationPreference.email_code_attempts + 1)).rowcount
    if not took:
        raise TooManyTries()
    with sessions.begin() as session:
        row = session.get_one(NotificationPreference, account_id)
        expected = _code_hash(pepper, account_id, row.email_address or "", code.strip())
        if row.email_code_hash is None or not hmac.compare_digest(row.email_code_hash, expected):
            raise EmailCodeWrong()
        row.email_verified_at, row.email_code_hash, row.updated_at = now, None, now
        session.flush()
        return get_settings(session, account_id)


# ================================================================ devices

@dataclass(frozen=True)
class PushPolicy:
    """Which endpoints a subscription may name: production allows https to known push services."""

    https_only: bool = True
    hosts: tuple[str, ...] | None = PUSH_SERVICE_HOSTS  # None: any host (tests, embedded)

    def allows_host(self, host: str) -> bool:
        if self.hosts is None:
            return True
        return any(host == h or (h.startswith(".") and host.endswith(h)) for h in self.hosts)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def check_push_subscription(endpoint: str, p256dh: str, auth: str, policy: PushPolicy) -> None:
    """:raises ValidationFailed: an endpoint we may not send to, or keys that are not RFC 8291's."""
    parts = urlsplit(endpoint)
    schemes = ("https",) if policy.https_only else ("https", "http")
    if parts.scheme not in schemes or not parts.hostname:
        raise _invalid("endpoint", "The endpoint must be an https URL of a push service.",
                       "Endpoint phải là địa chỉ https của dịch vụ thông báo đẩy.")
    if not policy.allows_host(parts.hostname):
        raise _invalid("endpoint", f"{parts.hostname} is not a push service we send to.",
                       f"{parts.hostname} không phải dịch vụ thông báo đẩy được hỗ trợ.")
    try:
        point = unb64u(p256dh)
        # RFC 8291 §3.1: the user agent's ECDH key, an uncompressed P-256 point (65 bytes).
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65:
            raise ValueError
    except (ValueError, binascii.Error):
        raise _invalid("keys.p256dh", "Not a P-256 public key (base64url, 65 bytes).",
                       "Không phải khóa công khai P-256 (base64url, 65 byte).") from None
    try:
        secret = unb64u(auth)
    except (ValueError, binascii.Error):
        secret = b""
    if len(secret) != 16:  # RFC 8291 §3.2: the authentication secret is 16 octets
        raise _invalid("keys.auth", "Not a 16-byte authentication secret (base64url).",
                       "Không phải khóa xác thực 16 byte (base64url).")


def _evict_oldest(session: so.Session, model, account_id: str) -> None:
    old = session.scalars(sa.select(model.id).where(model.account_id == account_id)
                          .order_by(model.updated_at.desc(), model.id).offset(MAX_DEVICES)).all()
    if old:
        session.execute(sa.delete(model).where(model.id.in_(old)))


def add_push_subscription(session: so.Session, account_id: str, *, endpoint: str, p256dh: str,
                          auth: str, user_agent: str, policy: PushPolicy,
                          now: datetime) -> PushSubscription:
    """Register (or refresh) this browser's subscription for the account.

    A subscription already held by another account moves to this one: the browser belongs to
    whoever signed in on it last, and the previous account's messages must stop reaching it.
    :raises ValidationFailed:
    """
    check_push_subscription(endpoint, p256dh, auth, policy)
    row = session.scalar(sa.select(PushSubscription).filter_by(endpoint_hash=_sha256(endpoint)))
    if row is None:
        row = PushSubscription(endpoint=endpoint, endpoint_hash=_sha256(endpoint), created_at=now)
        session.add(row)
    row.account_id, row.p256dh, row.auth = account_id, p256dh, auth
    row.user_agent, row.updated_at = user_agent[:200], now
    session.flush()
    _evict_oldest(session, PushSubscription, account_id)
    return row


def list_push_subscriptions(session: so.Session, account_id: str) -> list[PushSubscription]:
    return list(session.scalars(sa.select(PushSubscription).filter_by(account_id=account_id)
                                .order_by(PushSubscription.created_at)))


def remove_push_subscription(session: so.Session, account_id: str, subscription_id: str) -> None:
    """:raises NotFound: no such subscription of this account (another's looks the same)."""
    row = session.get(PushSubscription, subscription_id)
    if row is None or row.account_id != account_id:
        raise NotFound("No such push subscription.", detail_vi="Không có đăng ký thông báo này.")
    session.delete(row)


def add_fcm_token(session: so.Session, account_id: str, *, token: str, platform: str,
                  now: datetime) -> FcmToken:
    """Register (or move to this account) a phone app's FCM registration token."""
    token = token.strip()
    if not (20 <= len(token) <= 4096 and token.isascii() and token.isprintable()
            and " " not in token):
        raise _invalid("token", "Not an FCM registration token.",
                       "Không phải mã đăng ký FCM hợp lệ.")
    row = session.scalar(sa.select(FcmToken).filter_by(token_hash=_sha256(token)))
    if row is None:
        row = FcmToken(token=token, token_hash=_sha256(token), created_at=now)
        session.add(row)
    row.account_id, row.platform, row.updated_at = account_id, platform, now
    session.flush()
    _evict_oldest(session, FcmToken, account_id)
    return row


def list_fcm_tokens(session: so.Session, account_id: str) -> list[FcmToken]:
    return list(session.scalars(sa.select(FcmToken).filter_by(account_id=account_id)
                                .order_by(FcmToken.created_at)))


def remove_fcm_token(session: so.Session, account_id: str, token_id: str) -> None:
    row = session.get(FcmToken, token_id)
    if row is None or row.account_id != account_id:
        raise NotFound("No such FCM token.", detail_vi="Không có mã FCM này.")
    session.delete(row)


# ================================================================ the fan-out

@dataclass(frozen=True)
class Recipient:
    """One account (or, failing any, a person's own phone) and how to reach it."""

    account_id: str | None
    phone: str | None
    prefs: Preferences
    webpush: tuple[tuple[str, dict], ...] = ()  # (subscription id, PushSubscription JSON)
    fcm: tuple[tuple[str, str], ...] = ()  # (token id, registration token)


def deliveries(r: Recipient, *, urgent: bool) -> Iterator[tuple[str, str | None, Any]]:
    """(channel, device id, address) for one recipient: what notify() writes, preview counts."""
    if r.account_id is not None:
        yield "inbox", None, None
    if r.prefs.push:
        for device, sub in r.webpush:
            yield "webpush", device, sub
        for device, token in r.fcm:
            yield "fcm", device, {"token": token}
    # A safety message reaches the phone even when SMS is off: a quarantined lot or a serious
    # reaction must not wait for the app to be opened.
    if r.phone and (r.prefs.sms or urgent):
        yield "sms", None, r.phone
    if r.prefs.email and r.prefs.email_verified and r.prefs.email_address:
        yield "email", None, r.prefs.email_address


def audience(person_ids) -> sa.CompoundSelect:
    """Account ids that hear about these people: their own and their active guardians'."""
    own = sa.select(Account.id.label("account_id")).where(
        Account.person_id.in_(person_ids), Account.disabled_at.is_(None))
    guardians = (sa.select(Guardianship.guardian_account_id.label("account_id"))
                 .join(Account, Account.id == Guardianship.guardian_account_id)
                 .where(Guardianship.person_id.in_(person_ids), Guardianship.status == "active",
                        Account.disabled_at.is_(None)))
    return sa.union(own, guardians)  # UNION, not UNION ALL: a guardian of two hears once


_PREFERENCE_COLUMNS = ("push", "sms", "email", "email_address", "email_verified_at", "lang", "quiet_start",
                       "quiet_end", "time_zone")


def _recipient_query(accounts) -> sa.Select:
    """Account id, phone, and the preference columns (`pref_of` is NULL when the account has
    none): columns, not ORM objects, so that it runs on a Core connection too."""
    pref = NotificationPreference
    return (sa.select(Account.id, Account.phone, pref.account_id.label("pref_of"),
                      *[getattr(pref, c) for c in _PREFERENCE_COLUMNS])
            .outerjoin(pref, pref.account_id == Account.id)
            .where(Account.id.in_(accounts)).order_by(Account.id))


_OF_ONE_PERSON = None


class _Unknown:
    """notify(person_phone=…) not given: look the phone up."""


def _of_one_person() -> tuple[sa.Select, sa.Select]:
    """notify()'s two statements for one person, built once (it runs on hot paths: a dose
    record, a booking change): the accounts that hear about them, and the person's own phone
    for when none does (no row: no such person)."""
    global _OF_ONE_PERSON
    if _OF_ONE_PERSON is None:
        _OF_ONE_PERSON = (_recipient_query(audience([sa.bindparam("person_id")])),
                          sa.select(Person.phone).where(Person.id == sa.bindparam("person_id")))
    return _OF_ONE_PERSON


def load_recipients(session: so.Session, accounts) -> list[Recipient]:
    """Accounts (a list of ids, or a SELECT of them) with preferences and devices.

    Two queries whatever their number (one when no account wants push): notify() runs inside
    other domains' transactions, some of them hot paths.
    """
    if isinstance(accounts, list) and not accounts:
        return []
    return _with_devices(session, session.execute(_recipient_query(accounts)).all())


def _with_devices(session: so.Session, rows) -> list[Recipient]:
    found = [(r.id, r.phone, r if r.pref_of is not None else None) for r in rows]
    prefs = {a: Preferences.of(pref) for a, _, pref in found}
    devices: dict[str, dict[str, list]] = {}
    wanted = [a for a, p in prefs.items() if p.push]
    if wanted:
        text = sa.String()
        webpush = sa.select(sa.literal("webpush", text).label("kind"), PushSubscription.id,
                            PushSubscription.account_id, PushSubscription.endpoint.label("a"),
                            PushSubscription.p256dh.label("b"), PushSubscription.auth.label("c"),
                            PushSubscription.created_at).where(
            PushSubscription.account_id.in_(wanted))
        fcm = sa.select(sa.literal("fcm", text), FcmToken.id, FcmToken.account_id, FcmToken.token,
                        sa.cast(sa.null(), text), sa.cast(sa.null(), text),
                        FcmToken.created_at).where(FcmToken.account_id.in_(wanted))
        for kind, device, account, a, b, c, _ in session.execute(
                sa.union_all(webpush, fcm).order_by("created_at", "id")):
            to = {"endpoint": a, "keys": {"p256dh": b, "auth": c}} if kind == "webpush" else a
            devices.setdefault(account, {}).setdefault(kind, []).append((device, to))
    return [Recipient(a, phone, prefs[a], tuple(devices.get(a, {}).get("webpush", ())),
                      tuple(devices.get(a, {}).get("fcm", ()))) for a, phone, _ in found]


def _base_key(dedupe_key: str) -> str:
    # Room for "|<account id>|webpush|<device id>" within the outbox's 200 characters.
    if not dedupe_key:
        raise ValueError("a dedupe key is required")
    if len(dedupe_key) <= 100:
        return dedupe_key
    return "sha256:" + hashlib.sha256(dedupe_key.encode()).hexdigest()[:48]


def _enqueue_for(session: so.Session, r: Recipient, *, base: str, template: str,
                 params_by_lang: Mapping[str, Mapping[str, Any]], person_id: str | None,
                 urgent: bool, not_before: datetime | None, now: datetime) -> list[str]:
    lang = r.prefs.lang if r.prefs.lang in params_by_lang else "vi"
    params = params_by_lang[lang]
    who = r.account_id or f"p:{person_id}"
    written = []
    for channel, device, to in deliveries(r, urgent=urgent):
        key = f"{base}|{who}|{channel}" + (f"|{device}" if device else "")
        mid = enqueue(session, dedupe_key=key, channel=channel, to=to, template=template,
                      params=params, lang=lang, account_id=r.account_id, person_id=person_id,
                      urgent=urgent, not_before=not_before, quiet_hours=r.prefs.quiet_hours,
                      tz=r.prefs.time_zone, now=now)
        if mid is not None:
            written.append(mid)
    return written


def notify(session: so.Session, *, person_id: str, template: str, params: Mapping[str, Any],
           dedupe_key: str, now: datetime, urgent: bool = False,
           not_before: datetime | None = None,
           lang_params: Mapping[str, Mapping[str, Any]] | None = None,
           person_phone: str | None | type[_Unknown] = _Unknown) -> list[str]:
    """Tell everyone who looks after this person, in the caller's transaction.

    Each outbox row's dedupe key is `dedupe_key|<account>|<channel>[|<device>]`, so calling
    again with the same key (a scheduler re-run, a retried request) writes nothing twice; an
    account that enabled a channel or a device since then gets only the new rows.

    :param params: the template's params, already formatted for the reader (notifications/
        templates.py); `lang_params` overrides some per language ({"en": {"vaccine": …}}).
    :param urgent: only for safety templates (serious_reaction_alert, lot_quarantined): they
        pass quiet hours and reach the phone by SMS even when SMS is off.
    :param not_before: send no earlier (the inbox shows it from then on, too).
    :param person_phone: the person's own phone (None: none), when the caller has read it
        already (the site's dose hot path): used when no account hears about the person.
    :returns: the ids of the outbox rows written now (empty on a re-run).
    :raises templates.TemplateError: unknown template or missing params (now, not in the worker).
    :raises ValueError: urgent on a non-safety template; no such person.
    """
    tpl = templates.TEMPLATES.get(template)
    if tpl is None:
        raise templates.TemplateError(f"unknown template {template!r}")
    if urgent and not tpl.safety:
        raise ValueError(f"{template} is not a safety template: it cannot pass quiet hours")
    accounts, own_phone = _of_one_person()
    # Core on the session's connection (the ORM's statement handling was most of notify()'s CPU on
    # the dose path); flushed first so that a guardian or account the caller just added is seen.
    session.flush()
    conn = session.connection()
    recipients = _with_devices(session, conn.execute(accounts, {"person_id": person_id}).all())
    if not recipients:
        # Nobody has an account for this person (a walk-in recorded at a site): their own phone.
        if person_phone is _Unknown:
            row = conn.execute(own_phone, {"person_id": person_id}).first()
            if row is None:
                raise ValueError(f"no person {person_id}")
            person_phone = row.phone
        recipients = [Recipient(None, person_phone, Preferences(sms=True))] if person_phone else []
    by_lang = {lang: {**params, **(lang_params or {}).get(lang, {})} for lang in LANGS}
    base = _base_key(dedupe_key)
    written: list[str] = []
    for r in recipients:
        written += _enqueue_for(session, r, base=base, template=template, params_by_lang=by_lang,
                                person_id=person_id, urgent=urgent, not_before=not_before, now=now)
    return written


# ================================================================ the in-app inbox

@dataclass(frozen=True)
class InboxItem:
    id: str
    template: str
    title: str
    body: str
    urgent: bool
    created_at: datetime
    read_at: datetime | None
    person_id: str | None
    person_name: str | None
    relation: str | None  # self | dependant | None (not about one person: a campaign)


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    unread: int
    next_before: str | None


def _people_in_care(session: so.Session, principal) -> list[str]:
    """The principal's own person and the dependants it guards now."""
    ids = list(session.scalars(sa.select(Guardianship.person_id).where(
        Guardianship.guardian_account_id == principal.account_id, Guardianship.status == "active")))
    return ids + ([principal.person_id] if principal.person_id else [])


def _inbox_filter(principal, in_care: list[str], now: datetime) -> list:
    t = outbox.c
    return [
        t.account_id == principal.account_id, t.channel == "inbox", t.status != "dead",
        # Shown once due: a reminder enqueued for later stays hidden until its time.
        sa.or_(t.status.in_(("sent", "sending")), t.next_attempt_at <= now),
        # Messages about a dependant disappear when the guardianship ends (a hand-over where
        # the new account holder chose to end it): health data follows the right to see it.
        sa.or_(t.person_id.is_(None), t.person_id.in_(in_care)),
    ]


def _cursor(created_at: datetime, message_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{message_id}".encode()).decode()


def _uncursor(text: str) -> tuple[datetime, str]:
    try:
        stamp, _, message_id = base64.urlsafe_b64decode(text.encode()).decode().partition("|")
        at = datetime.fromisoformat(stamp)
        if at.tzinfo is None or not message_id:
            raise ValueError
        return at, message_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _invalid("before", "Not a cursor this API gave.",
                       "Không phải con trỏ phân trang hợp lệ.") from None


def inbox_page(session: so.Session, principal, *, limit: int = 20, before: str | None = None,
               person_id: str | None = None, now: datetime) -> InboxPage:
    """The account's inbox, newest first, with the unread count.

    :param person_id: only messages about this person (self or a dependant).
    :raises NotGuardian: person_id is not one the principal may act for.
    """
    in_care = _people_in_care(session, principal)
    where = _inbox_filter(principal, in_care, now)
    unread = session.scalar(sa.select(sa.func.count()).select_from(outbox)
                            .where(*where, outbox.c.read_at.is_(None)))
    if person_id is not None:
        if person_id not in in_care:
            raise NotGuardian()
        where.append(outbox.c.person_id == person_id)
    if before is not None:
        at, mid = _uncursor(before)
        where.append(sa.or_(outbox.c.created_at < at,
                            sa.and_(outbox.c.created_at == at, outbox.c.id < mid)))
    items = _inbox_items(session, principal, where, limit=limit + 1)
    more = len(items) > limit
    items = items[:limit]
    return InboxPage(items, unread,
                     _cursor(items[-1].created_at, items[-1].id) if more and items else None)


def _inbox_items(session: so.Session, principal, where: list,
                 limit: int | None = None) -> list[InboxItem]:
    t = outbox.c
    rows = session.execute(
        sa.select(t.id, t.template, t.params, t.lang, t.urgent, t.created_at, t.read_at,
                  t.person_id, Person.full_name)
        .select_from(outbox).outerjoin(Person, Person.id == t.person_id)
        .where(*where).order_by(t.created_at.desc(), t.id.desc()).limit(limit)).all()
    items = []
    for row in rows:
        try:
            rendered = templates.render(row.template, row.lang, row.params)
            title, body = rendered.title, rendered.body
        except templates.TemplateError:  # a template retired since: keep the row visible
            title, body = row.template, ""
        relation = (None if row.person_id is None else
                    "self" if row.person_id == principal.person_id else "dependant")
        items.append(InboxItem(row.id, row.template, title, body, row.urgent, row.created_at,
                               row.read_at, row.person_id, row.full_name, relation))
    return items


def _inbox_sibling(session: so.Session, principal, message_id: str) -> str:
    """The inbox message of the notification an outbox id belongs to.

    A push or FCM payload carries the id of its own outbox row; the service worker opens the
    app with it. Its inbox sibling has the same key with `inbox` for the channel part
    (`<base>|<account>|<channel>[|<device>]`), so either id finds the message.
    """
    t = outbox.c
    row = session.execute(sa.select(t.channel, t.dedupe_key).where(
        t.id == message_id, t.account_id == principal.account_id)).first()
    if row is None or row.channel == "inbox":
        return message_id
    base = row.dedupe_key.rsplit(f"|{principal.account_id}|", 1)[0]
    sibling = session.scalar(sa.select(t.id).where(
        t.dedupe_key == f"{base}|{principal.account_id}|inbox"))
    return sibling or message_id


def mark_read(session: so.Session, principal, message_id: str, *, now: datetime) -> InboxItem:
    """Mark a message read; `message_id` may be the inbox id or that of its push/FCM copy.

    :raises NotFound: not a message in this account's inbox (another's looks the same).
    """
    message_id = _inbox_sibling(session, principal, message_id)
    where = _inbox_filter(principal, _people_in_care(session, principal), now)
    found = session.execute(sa.select(outbox.c.read_at).where(*where, outbox.c.id == message_id)
                            ).first()
    if found is None:
        raise NotFound("No such message.", detail_vi="Không có thông báo này.")
    if found.read_at is None:
        session.execute(sa.update(outbox).where(outbox.c.id == message_id).values(read_at=now))
    return _inbox_items(session, principal, [outbox.c.id == message_id])[0]


def mark_all_read(session: so.Session, principal, *, now: datetime) -> int:
    where = _inbox_filter(principal, _people_in_care(session, principal), now)
    return session.execute(sa.update(outbox).where(*where, outbox.c.read_at.is_(None))
                           .values(read_at=now)).rowcount


# ================================================================ campaigns

@dataclass(frozen=True)
class Target:
    """A campaign's group: residents of a province (or ward), optionally by age, narrowed by kind."""

    kind: str = "residents"
    province_code: int | None = None
    ward_code: int | None = None
    min_age: int | None = None
    max_age: int | None = None
    product_code: str | None = None  # for kinds that need dose records ("overdue_dose")
    dose: str | None = None

    def as_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class Reach:
    people: int
    accounts: int
    messages: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.messages.values())


def residents(query: sa.Select, target: Target, today: date) -> sa.Select:
    """The 'residents' kind: the province/ward/age conditions are all it needs."""
    return query


def local_today(now: datetime) -> date:
    return now.astimezone(ZoneInfo(VN_TZ)).date()


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year - years, day=28)


def target_people(target: Target, *, today: date, created_before: datetime) -> sa.Select:
    """`SELECT person.id` for the group; people created later are never added to a campaign."""
    spec = TARGETS.get(target.kind)
    if spec is None:
        raise CampaignTargetUnavailable(
            f"No target kind {target.kind!r} yet (available: {', '.join(sorted(TARGETS))}).",
            detail_vi=f"Chưa hỗ trợ loại nhóm {target.kind!r}.",
            errors={"target.kind": [f"One of {sorted(TARGETS)}."]})
    q = sa.select(Person.id).where(Person.created_at <= created_before)
    if target.province_code is not None:
        q = q.where(Person.province_code == target.province_code)
    if target.ward_code is not None:
        q = q.where(Person.ward_code == target.ward_code)
    if target.min_age is not None:  # at least min_age full years old today
        q = q.where(Person.date_of_birth <= _years_before(today, target.min_age))
    if target.max_age is not None:  # not yet max_age + 1
        q = q.where(Person.date_of_birth > _years_before(today, target.max_age + 1))
    return load(spec)(q, target, today)


def campaign_role(principal, target: Target):
    """The role in whose name this principal may message the group.

    National admins reach anyone; department staff the residents of their unit's province.
    :raises ValidationFailed: unknown province, a ward outside it, min_age > max_age.
    :raises CampaignOutOfScope:
    """
    if target.province_code is not None and not places.has_province(target.province_code):
        raise _invalid("target.province_code", "Unknown province code.",
                       "Mã tỉnh/thành không tồn tại.")
    if target.ward_code is not None:
        try:
            places.check_address(target.province_code, target.ward_code)
        except ValidationFailed:
            raise _invalid("target.ward_code", "Not a ward of this province.",
                           "Không thuộc tỉnh/thành đã chọn.") from None
    if target.min_age is not None and target.max_age is not None and target.min_age > target.max_age:
        raise _invalid("target.min_age", "min_age is above max_age.", "Tuổi từ lớn hơn tuổi đến.")
    for role in principal.roles:
        if role.role == "national_admin":
            return role
    for role in principal.roles:
        if role.role == "department_staff" and role.province_code is not None \
                and role.province_code == target.province_code:
            return role
    raise CampaignOutOfScope()


def _reach(session: so.Session, target: Target, *, today: date,
           created_before: datetime) -> Reach:
    """Counts in SQL of exactly what the fan-out writes (deliveries() for a non-urgent message)."""
    people = target_people(target, today=today, created_before=created_before)
    accounts = audience(people).subquery()
    pref = NotificationPreference

    def count(q):
        return session.scalar(q)

    by_account = sa.select(sa.func.count()).select_from(accounts)
    with_pref = by_account.outerjoin(pref, pref.account_id == accounts.c.account_id)
    push_on = sa.or_(pref.account_id.is_(None), pref.push.is_(True))
    messages = {
        "inbox": count(by_account),
        "webpush": count(with_pref.join(PushSubscription,
                                        PushSubscription.account_id == accounts.c.account_id)
                         .where(push_on)),
        "fcm": count(with_pref.join(FcmToken, FcmToken.account_id == accounts.c.account_id)
                     .where(push_on)),
        "sms": count(with_pref.where(pref.sms.is_(True))),
        "email": count(with_pref.where(pref.email.is_(True), pref.email_verified_at.is_not(None),
                                       pref.email_address.is_not(None))),
    }
    return Reach(people=count(sa.select(sa.func.count()).select_from(people.subquery())),
                 accounts=messages["inbox"], messages=messages)


def preview_campaign(session: so.Session, principal, target: Target, *, now: datetime) -> Reach:
    """How many people, accounts and messages a campaign to this group would make now.

    :raises CampaignOutOfScope, CampaignTargetUnavailable, ValidationFailed:
    """
    campaign_role(principal, target)
    return _reach(session, target, today=local_today(now), created_before=now)


def _check_texts(template: str, params: Mapping[str, Mapping[str, Any]]) -> dict:
    if "vi" not in params:
        raise _invalid("title_vi", "A campaign needs its Vietnamese text.",
                       "Chiến dịch cần có nội dung tiếng Việt.")
    out = {}
    for lang, values in params.items():
        if lang not in LANGS:
            raise ValueError(f"unsupported language {lang!r}")
        templates.render(template, lang, values)
        out[lang] = dict(values)
    return out


def send_campaign(session: so.Session, principal, *, target: Target,
                  params: Mapping[str, Mapping[str, Any]], template: str = "campaign_message",
                  now: datetime, batch: int | None = None) -> Campaign:
    """Create a campaign and fan out its first `batch` accounts in the caller's transaction.

    The rest (a province is millions of people) is fanned out by the scheduler's
    continue_campaigns job; dedupe keys `campaign:<id>|<account>|<channel>[|<device>]` make every
    batch safe to redo. One message per account, however many of its dependants are in the group.

    :param params: per language, {"vi": {"title": …, "body": …}, "en": {...}}; "en" is optional
        (English readers then get the Vietnamese text).
    :raises CampaignOutOfScope, CampaignTargetUnavailable, ValidationFailed:
    """
    role = campaign_role(principal, target)
    params = _check_texts(template, params)
    reach = _reach(session, target, today=local_today(now), created_before=now)
    campaign = Campaign(unit_id=role.unit_id, created_by=principal.account_id,
                        target=target.as_json(), template=template, params=params,
                        status="sending", people=reach.people, accounts=reach.accounts,
                        accounts_done=0, messages=0, created_at=now)
    session.add(campaign)
    session.flush()
    _expand(session, campaign, now=now, limit=batch or SEND_BATCH)
    return campaign


def _expand(session: so.Session, campaign: Campaign, *, now: datetime, limit: int) -> int:
    """Fan out the next `limit` accounts of a campaign; returns how many were taken."""
    target = Target(**campaign.target)
    people = target_people(target, today=local_today(campaign.created_at),
                           created_before=campaign.created_at)
    accounts = audience(people).subquery()
    q = sa.select(accounts.c.account_id).order_by(accounts.c.account_id).limit(limit)
    if campaign.cursor is not None:
        q = q.where(accounts.c.account_id > campaign.cursor)
    ids = list(session.scalars(q))
    base = f"campaign:{campaign.id}"
    written = 0
    for r in load_recipients(session, ids):
        written += len(_enqueue_for(session, r, base=base, template=campaign.template,
                                    params_by_lang=campaign.params, person_id=None, urgent=False,
                                    not_before=None, now=now))
    campaign.messages += written
    campaign.accounts_done += len(ids)
    if ids:
        campaign.cursor = ids[-1]
    if len(ids) < limit:
        campaign.status, campaign.finished_at = "sent", now
    session.flush()
    return len(ids)


def continue_campaigns(session: so.Session, now: datetime) -> int:
    """Scheduled job: fan out campaigns still sending, up to RUN_BUDGET accounts; messages written."""
    budget, written = RUN_BUDGET, 0
    # SKIP LOCKED: two schedulers work on different campaigns instead of queueing on one.
    for campaign in session.scalars(sa.select(Campaign).where(Campaign.status == "sending")
                                    .order_by(Campaign.created_at)
                                    .with_for_update(skip_locked=True)):
        while campaign.status == "sending" and budget > 0:
            before = campaign.messages
            budget -= max(1, _expand(session, campaign, now=now, limit=min(SEND_BATCH, budget)))
            written += campaign.messages - before
        if budget <= 0:
            break
    return written


def _visible_campaigns(principal) -> list:
    if principal.has("national_admin"):
        return []
    paths = tuple(r.unit_path for r in principal.roles
                  if r.role == "department_staff" and r.unit_path)
    if not paths:
        return [sa.false()]
    return [Campaign.unit_id.in_(sa.select(OrgUnit.id).where(
        sa.or_(*(OrgUnit.path.startswith(p) for p in paths))))]


def list_campaigns(session: so.Session, principal, *, limit: int = 50) -> list[Campaign]:
    return list(session.scalars(sa.select(Campaign).where(*_visible_campaigns(principal))
                                .order_by(Campaign.created_at.desc(), Campaign.id).limit(limit)))


def get_campaign(session: so.Session, principal, campaign_id: str) -> Campaign:
    """:raises NotFound: no such campaign within the principal's units."""
    found = session.scalar(sa.select(Campaign).where(Campaign.id == campaign_id,
                                                     *_visible_campaigns(principal)))
    if found is None:
        raise NotFound("No such campaign.", detail_vi="Không có chiến dịch này.")
    return found


# ================================================================ delivery figures

@dataclass(frozen=True)
class Figures:
    counts: dict[str, dict[str, int]]  # channel → status → n
    read: int  # inbox messages opened
    dead: list[dict]

    def total(self, status: str | None = None) -> int:
        return sum(n for by in self.counts.values() for s, n in by.items()
                   if status in (None, s))


def _figures(session: so.Session, where: list, *, dead_limit: int = 50) -> Figures:
    t = outbox.c
    counts = {ch: {s: 0 for s in STATUSES} for ch in CHANNELS}
    for channel, status, n in session.execute(
            sa.select(t.channel, t.status, sa.func.count()).where(*where)
            .group_by(t.channel, t.status)):
        counts[channel][status] = n
    read = session.scalar(sa.select(sa.func.count()).select_from(outbox).where(
        *where, t.channel == "inbox", t.read_at.is_not(None)))
    dead = [dict(row._mapping) for row in session.execute(
        sa.select(t.id, t.channel, t.template, t.attempts, t.last_error, t.created_at,
                  t.person_id).where(*where, t.status == "dead")
        .order_by(t.created_at.desc(), t.id).limit(dead_limit))]
    return Figures(counts, read, dead)


def campaign_figures(session: so.Session, principal, campaign_id: str) -> tuple[Campaign, Figures]:
    """A campaign's delivery figures, from its outbox rows (found by their dedupe key prefix)."""
    campaign = get_campaign(session, principal, campaign_id)
    prefix = outbox.c.dedupe_key.startswith(f"campaign:{campaign.id}|", autoescape=True)
    return campaign, _figures(session, [prefix])


def delivery_figures(session: so.Session, principal, *, since: datetime,
                     until: datetime | None = None, template: str | None = None) -> Figures:
    """Outbox figures and dead letters for staff, messages created in [since, until).

    National admins see all; department staff see messages about residents of their provinces.
    """
    t = outbox.c
    where = [t.created_at >= since]
    if until is not None:
        where.append(t.created_at < until)
    if template:
        where.append(t.template == template)
    if not principal.has("national_admin"):
        provinces = {r.province_code for r in principal.roles
                     if r.role == "department_staff" and r.province_code is not None}
        where.append(t.person_id.in_(sa.select(Person.id).where(
            Person.province_code.in_(sorted(provinces)))))
    return _figures(session, where)
