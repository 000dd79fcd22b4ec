"""Notification settings, push devices, the in-app inbox, campaigns and delivery figures."""
from __future__ import annotations

from datetime import time, timedelta
from urllib.parse import urlsplit

from flask.views import MethodView
from flask_smorest import Blueprint

from api import clock
from api.auth.guard import current_principal, requires
from api.auth.phones import phone_hint
from api.db import db
from api.errors import ProblemSchema
from api.notify import edge
from api.notify import schemas as s
from api.notify import service
from api.notify.problems import PushUnavailable
from api.problems import ValidationFailed
from api.web import user_agent

blp = Blueprint("notify", __name__, url_prefix="/api/v1",
                description="Notification settings, push devices, the inbox, campaigns")

STAFF = ("department_staff", "national_admin")


def _hhmm(t) -> str:
    return t.strftime("%H:%M")


def _settings_out(view: service.SettingsView, *, code_sent: bool = False) -> dict:
    p = view.preferences
    return {
        "push": p.push, "sms": p.sms, "email": p.email, "email_address": p.email_address,
        "email_verified": p.email_verified, "language": p.lang,
        "quiet_hours": ({"start": _hhmm(p.quiet_hours[0]), "end": _hhmm(p.quiet_hours[1])}
                        if p.quiet_hours else None),
        "time_zone": p.time_zone, "sms_phone_hint": phone_hint(view.phone),
        "devices": {"webpush": view.webpush_devices, "fcm": view.fcm_devices},
        "email_code_sent": code_sent,
    }


def _time(text: str) -> time:
    hours, minutes = text.split(":")  # the schema checked HH:MM
    return time(int(hours), int(minutes))


@blp.route("/notification-settings")
class NotificationSettings(MethodView):
    @requires("signed_in")
    @blp.response(200, s.NotificationSettingsSchema)
    def get(self):
        """Your channels, language and quiet hours (defaults until you save them)."""
        with db.reads().begin() as session:
            return _settings_out(service.get_settings(session, current_principal().account_id))

    @requires("signed_in")
    @blp.arguments(s.NotificationSettingsInSchema)
    @blp.response(200, s.NotificationSettingsSchema)
    @blp.alt_response(422, schema=ProblemSchema,
                      description="Malformed quiet hours, unknown time zone, e-mail on without an address.")
    def put(self, args):
        """Save your channels, language and quiet hours; a new e-mail address is sent a code."""
        quiet = args["quiet_hours"]
        with db.sessions().begin() as session:
            view, sent = service.save_settings(
                session, current_principal().account_id, push=args["push"], sms=args["sms"],
                email=args["email"], email_address=args["email_address"], lang=args["language"],
                quiet_hours=(_time(quiet["start"]), _time(quiet["end"])) if quiet else None,
                time_zone=args["time_zone"], pepper=edge.pepper(), now=clock.now())
            return _settings_out(view, code_sent=sent)


@blp.route("/notification-settings/email-verification")
class EmailVerification(MethodView):
    @requires("signed_in")
    @blp.arguments(s.EmailCodeInSchema)
    @blp.response(200, s.NotificationSettingsSchema)
    @blp.alt_response(422, schema=ProblemSchema, description="Wrong or expired code.")
    def post(self, args):
        """Confirm your e-mail address with the code sent to it; e-mail is used only after this."""
        view = service.verify_email(db.sessions(), current_principal().account_id, args["code"],
                                    pepper=edge.pepper(), now=clock.now())
        return _settings_out(view)


@blp.route("/notification-settings/email-code")
class EmailCode(MethodView):
    @requires("signed_in")
    @blp.response(202, s.EmailCodeSentSchema)
    @blp.alt_response(429, schema=ProblemSchema, description="One code a minute.")
    def post(self):
        """Send a new code to the e-mail address waiting for confirmation."""
        with db.sessions().begin() as session:
            address = service.resend_email_code(session, current_principal().account_id,
                                                pepper=edge.pepper(), now=clock.now())
        return {"sent_to": address}


def _subscription_out(row) -> dict:
    parts = urlsplit(row.endpoint)
    return {"id": row.id, "push_service": f"{parts.scheme}://{parts.netloc}",
            "user_agent": row.user_agent, "created_at": row.created_at,
            "updated_at": row.updated_at}


@blp.route("/push-subscriptions")
class PushSubscriptions(MethodView):
    @requires("signed_in")
    @blp.response(200, s.PushSubscriptionSchema(many=True))
    def get(self):
        """The browsers that receive your push notifications."""
        with db.reads().begin() as session:
            return [_subscription_out(r) for r in
                    service.list_push_subscriptions(session, current_principal().account_id)]

    @requires("signed_in")
    @blp.arguments(s.PushSubscriptionInSchema)
    @blp.response(201, s.PushSubscriptionSchema)
    @blp.alt_response(422, schema=ProblemSchema,
                      description="Not a push service endpoint, or keys that are not P-256/16 bytes.")
    def post(self, args):
        """Register this browser's PushSubscription (send subscription.toJSON() as it is)."""
        with db.sessions().begin() as session:
            row = service.add_push_subscription(
                session, current_principal().account_id, endpoint=args["endpoint"],
                p256dh=args["keys"]["p256dh"], auth=args["keys"]["auth"],
                user_agent=user_agent(), policy=edge.push_policy(), now=clock.now())
            return _subscription_out(row)


@blp.route("/push-subscriptions/<subscription_id>")
class PushSubscriptionById(MethodView):
    @requires("signed_in")
    @blp.response(204)
    @blp.alt_response(404, schema=ProblemSchema, description="Not one of your subscriptions.")
    def delete(self, subscription_id):
        """Stop push notifications to one browser (unsubscribe, or sign out on it)."""
        with db.sessions().begin() as session:
            service.remove_push_subscription(session, current_principal().account_id,
                                             subscription_id)


def _token_out(row) -> dict:
    return {"id": row.id, "platform": row.platform, "created_at": row.created_at,
            "updated_at": row.updated_at}


@blp.route("/fcm-tokens")
class FcmTokens(MethodView):
    @requires("signed_in")
    @blp.response(200, s.FcmTokenSchema(many=True))
    def get(self):
        """The phone apps that receive your notifications through FCM."""
        with db.reads().begin() as session:
            return [_token_out(r) for r in
                    service.list_fcm_tokens(session, current_principal().account_id)]

    @requires("signed_in")
    @blp.arguments(s.FcmTokenInSchema)
    @blp.response(201, s.FcmTokenSchema)
    def post(self, args):
        """Register a phone app's FCM registration token."""
        with db.sessions().begin() as session:
            return _token_out(service.add_fcm_token(
                session, current_principal().account_id, token=args["token"],
                platform=args["platform"], now=clock.now()))


@blp.route("/fcm-tokens/<token_id>")
class FcmTokenById(MethodView):
    @requires("signed_in")
    @blp.response(204)
    @blp.alt_response(404, schema=ProblemSchema, description="Not one of your tokens.")
    def delete(self, token_id):
        """Stop notifications to one phone app."""
        with db.sessions().begin() as session:
            service.remove_fcm_token(session, current_principal().account_id, token_id)


@blp.route("/vapid-public-key")
class VapidPublicKey(MethodView):
    @requires("public")
    @blp.response(200, s.VapidKeySchema)
    @blp.alt_response(503, schema=ProblemSchema, description="Web Push is not configured.")
    def get(self):
        """The applicationServerKey for PushManager.subscribe() (base64url, uncompressed P-256)."""
        keys = edge.vapid_keys()
        if keys is None:
            raise PushUnavailable()
        return {"public_key": keys.public_key}


def _inbox_item(item: service.InboxItem) -> dict:
    person = ({"id": item.person_id, "full_name": item.person_name, "relation": item.relation}
              if item.person_id else None)
    return {"id": item.id, "template": item.template, "title": item.title, "body": item.body,
            "urgent": item.urgent, "person": person, "created_at": item.created_at,
            "read_at": item.read_at}


@blp.route("/inbox")
class Inbox(MethodView):
    @requires("signed_in")
    @blp.arguments(s.InboxQueryArgsSchema, location="query")
    @blp.response(200, s.InboxSchema)
    def get(self, args):
        """Your messages and your dependants', newest first (pass next_before to page on)."""
        with db.reads().begin() as session:
            page = service.inbox_page(session, current_principal(), limit=args["limit"],
                                      before=args["before"], person_id=args["person_id"],
                                      now=clock.now())
        return {"items": [_inbox_item(i) for i in page.items], "unread": page.unread,
                "next_before": page.next_before}


@blp.route("/inbox/<message_id>/read")
class InboxMessageRead(MethodView):
    @requires("signed_in")
    @blp.response(200, s.InboxItemSchema)
    @blp.alt_response(404, schema=ProblemSchema, description="Not a message in your inbox.")
    def post(self, message_id):
        """Mark one message read (again is fine); the id of its push copy finds it too."""
        with db.sessions().begin() as session:
            return _inbox_item(service.mark_read(session, current_principal(), message_id,
                                                 now=clock.now()))


@blp.route("/inbox/read-all")
class InboxReadAll(MethodView):
    @requires("signed_in")
    @blp.response(200, s.InboxMarkedReadSchema)
    def post(self):
        """Mark every message in your inbox read."""
        with db.sessions().begin() as session:
            return {"marked": service.mark_all_read(session, current_principal(), now=clock.now())}


# ---------------------------------------------------------------- department campaigns

def _target(args: dict) -> service.Target:
    return service.Target(**args)


def _reach_out(reach: service.Reach) -> dict:
    return {"people": reach.people, "accounts": reach.accounts,
            "messages": {**reach.messages, "total": reach.total}}


def _campaign_out(c) -> dict:
    vi, en = c.params.get("vi", {}), c.params.get("en", {})
    return {"id": c.id, "unit_id": c.unit_id, "target": c.target, "title_vi": vi.get("title"),
            "body_vi": vi.get("body"), "title_en": en.get("title"), "body_en": en.get("body"),
            "status": c.status, "people": c.people, "accounts": c.accounts,
            "accounts_done": c.accounts_done, "messages": c.messages, "created_at": c.created_at,
            "finished_at": c.finished_at}


def _figures_out(fig: service.Figures) -> dict:
    def counted(by: dict) -> dict:
        return {**by, "total": sum(by.values())}

    totals = {st: fig.total(st) for st in service.STATUSES}
    return {"by_channel": {ch: counted(by) for ch, by in fig.counts.items()},
            "totals": counted(totals), "read": fig.read, "dead_letters": fig.dead}


@blp.route("/campaigns/preview")
class CampaignPreview(MethodView):
    @requires(*STAFF)
    @blp.arguments(s.CampaignPreviewInSchema)
    @blp.response(200, s.CampaignPreviewSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="The group is outside your province.")
    def post(self, args):
        """How many people, accounts and messages a campaign to this group would make."""
        with db.reads().begin() as session:
            return _reach_out(service.preview_campaign(session, current_principal(),
                                                       _target(args["target"]), now=clock.now()))


@blp.route("/campaigns")
class Campaigns(MethodView):
    @requires(*STAFF)
    @blp.response(200, s.CampaignSchema(many=True))
    def get(self):
        """Campaigns of your units, newest first (the last 50)."""
        with db.reads().begin() as session:
            return [_campaign_out(c) for c in service.list_campaigns(session, current_principal())]

    @requires(*STAFF)
    @blp.arguments(s.CampaignInSchema)
    @blp.response(201, s.CampaignSchema)
    @blp.alt_response(403, schema=ProblemSchema, description="The group is outside your province.")
    def post(self, args):
        """Send a message to a group (send an Idempotency-Key: a resend must not send twice)."""
        params = {"vi": {"title": args["title_vi"], "body": args["body_vi"]}}
        if args["title_en"]:
            params["en"] = {"title": args["title_en"], "body": args["body_en"]}
        with db.sessions().begin() as session:
            campaign = service.send_campaign(session, current_principal(),
                                             target=_target(args["target"]), params=params,
                                             now=clock.now())
            return _campaign_out(campaign)


@blp.route("/campaigns/<campaign_id>")
class CampaignById(MethodView):
    @requires(*STAFF)
    @blp.response(200, s.CampaignSchema)
    @blp.alt_response(404, schema=ProblemSchema, description="No such campaign in your units.")
    def get(self, campaign_id):
        """One campaign and how far its fan-out has gone."""
        with db.reads().begin() as session:
            return _campaign_out(service.get_campaign(session, current_principal(), campaign_id))


@blp.route("/campaigns/<campaign_id>/stats")
class CampaignStats(MethodView):
    @requires(*STAFF)
    @blp.response(200, s.CampaignStatsSchema)
    @blp.alt_response(404, schema=ProblemSchema, description="No such campaign in your units.")
    def get(self, campaign_id):
        """Delivery figures of one campaign: messages by channel and status, read, dead letters."""
        with db.reads().begin() as session:
            campaign, fig = service.campaign_figures(session, current_principal(), campaign_id)
            return {**_figures_out(fig), "campaign": _campaign_out(campaign)}


@blp.route("/notification-stats")
class NotificationStats(MethodView):
    @requires(*STAFF)
    @blp.arguments(s.NotificationStatsQueryArgsSchema, location="query")
    @blp.response(200, s.NotificationStatsSchema)
    def get(self, args):
        """Outbox figures and dead letters (default: the last 7 days); department staff see
        messages about residents of their province."""
        until = args["until"]  # default: up to now, included
        since = args["since"] or (until or clock.now()) - timedelta(days=7)
        if until is not None and since >= until:
            raise ValidationFailed("since must be before until.",
                                   detail_vi="since phải trước until.",
                                   errors={"since": ["Must be before until."]})
        with db.reads().begin() as session:
            fig = service.delivery_figures(session, current_principal(), since=since,
                                           until=until, template=args["template"])
        return {**_figures_out(fig), "since": since, "until": until or clock.now(),
                "template": args["template"]}
