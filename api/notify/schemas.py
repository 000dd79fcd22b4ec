import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v

HHMM = v.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error="Use HH:MM, 24-hour (e.g. 21:30).")


class QuietHoursSchema(ma.Schema):
    start = f.String(required=True, validate=HHMM)
    end = f.String(required=True, validate=HHMM)


class NotificationDevicesSchema(ma.Schema):
    webpush = f.Integer()
    fcm = f.Integer()


class NotificationSettingsSchema(ma.Schema):
    push = f.Boolean()
    sms = f.Boolean()
    email = f.Boolean()
    email_address = f.String(allow_none=True)
    email_verified = f.Boolean()
    language = f.String()
    quiet_hours = f.Nested(QuietHoursSchema, allow_none=True)
    time_zone = f.String()
    sms_phone_hint = f.String()
    devices = f.Nested(NotificationDevicesSchema)
    email_code_sent = f.Boolean()


class NotificationSettingsInSchema(ma.Schema):
    push = f.Boolean(required=True)
    sms = f.Boolean(required=True)
    email = f.Boolean(required=True)
    email_address = f.Email(allow_none=True, load_default=None, validate=v.Length(max=254))
    language = f.String(required=True, validate=v.OneOf(["vi", "en"]))
    # Required, so that "no quiet hours" is said (null), never assumed from a missing field.
    quiet_hours = f.Nested(QuietHoursSchema, required=True, allow_none=True)
    time_zone = f.String(load_default="Asia/Ho_Chi_Minh", validate=v.Length(min=1, max=64))


class EmailCodeInSchema(ma.Schema):
    code = f.String(required=True, validate=v.Regexp(r"^\s*\d{6}\s*$", error="Six digits."))


class EmailCodeSentSchema(ma.Schema):
    sent_to = f.String()


class PushKeysSchema(ma.Schema):
    p256dh = f.String(required=True, validate=v.Length(min=1, max=128))
    auth = f.String(required=True, validate=v.Length(min=1, max=64))


class PushSubscriptionInSchema(ma.Schema):
    """PushSubscription.toJSON() as the browser gives it."""

    endpoint = f.String(required=True, validate=v.Length(min=1, max=2048))
    keys = f.Nested(PushKeysSchema, required=True)
    expiration_time = f.Raw(data_key="expirationTime", allow_none=True, load_default=None)


class PushSubscriptionSchema(ma.Schema):
    id = f.String()
    push_service = f.String()  # the endpoint's origin, to tell devices apart in the settings
    user_agent = f.String()
    created_at = f.DateTime()
    updated_at = f.DateTime()


class FcmTokenInSchema(ma.Schema):
    token = f.String(required=True, validate=v.Length(min=1, max=4096))
    platform = f.String(required=True, validate=v.OneOf(["android", "ios", "web"]))


class FcmTokenSchema(ma.Schema):
    id = f.String()
    platform = f.String()
    created_at = f.DateTime()
    updated_at = f.DateTime()


class VapidKeySchema(ma.Schema):
    public_key = f.String()


class InboxQueryArgsSchema(ma.Schema):
    limit = f.Integer(load_default=20, validate=v.Range(min=1, max=100))
    before = f.String(load_default=None, validate=v.Length(max=200))
    person_id = f.String(load_default=None, validate=v.Length(max=36))


class InboxPersonSchema(ma.Schema):
    id = f.String()
    full_name = f.String(allow_none=True)
    relation = f.String()


class InboxItemSchema(ma.Schema):
    id = f.String()
    template = f.String()
    title = f.String()
    body = f.String()
    urgent = f.Boolean()
    person = f.Nested(InboxPersonSchema, allow_none=True)
    created_at = f.DateTime()
    read_at = f.DateTime(allow_none=True)


class InboxSchema(ma.Schema):
    items = f.List(f.Nested(InboxItemSchema))
    unread = f.Integer()
    next_before = f.String(allow_none=True)


class InboxMarkedReadSchema(ma.Schema):
    marked = f.Integer()


class CampaignTargetSchema(ma.Schema):
    kind = f.String(load_default="residents", validate=v.Length(min=1, max=32))
    province_code = f.Integer(allow_none=True, load_default=None)
    ward_code = f.Integer(allow_none=True, load_default=None)
    min_age = f.Integer(allow_none=True, load_default=None, validate=v.Range(min=0, max=150))
    max_age = f.Integer(allow_none=True, load_default=None, validate=v.Range(min=0, max=150))
    product_code = f.String(allow_none=True, load_default=None, validate=v.Length(max=40))
    dose = f.String(allow_none=True, load_default=None, validate=v.Length(max=8))


class CampaignPreviewInSchema(ma.Schema):
    target = f.Nested(CampaignTargetSchema, required=True)


class CampaignMessagesSchema(ma.Schema):
    inbox = f.Integer()
    webpush = f.Integer()
    fcm = f.Integer()
    sms = f.Integer()
    email = f.Integer()
    total = f.Integer()


class CampaignPreviewSchema(ma.Schema):
    people = f.Integer()
    accounts = f.Integer()
    messages = f.Nested(CampaignMessagesSchema)


class CampaignInSchema(ma.Schema):
    target = f.Nested(CampaignTargetSchema, required=True)
    # Titles show on lock screens: short, and no personal data (it is one text for everyone).
    title_vi = f.String(required=True, validate=v.Length(min=1, max=80))
    body_vi = f.String(required=True, validate=v.Length(min=1, max=600))
    title_en = f.String(load_default=None, allow_none=True, validate=v.Length(min=1, max=80))
    body_en = f.String(load_default=None, allow_none=True, validate=v.Length(min=1, max=600))

    @ma.validates_schema
    def both_english_or_neither(self, data, **_):
        if (data.get("title_en") is None) != (data.get("body_en") is None):
            raise ma.ValidationError("Give both title_en and body_en, or neither.", "title_en")


class CampaignSchema(ma.Schema):
    id = f.String()
    unit_id = f.String(allow_none=True)
    target = f.Dict()
    title_vi = f.String()
    body_vi = f.String()
    title_en = f.String(allow_none=True)
    body_en = f.String(allow_none=True)
    status = f.String()
    people = f.Integer()
    accounts = f.Integer()
    accounts_done = f.Integer()
    messages = f.Integer()
    created_at = f.DateTime()
    finished_at = f.DateTime(allow_none=True)


class DeliveryStatusCountsSchema(ma.Schema):
    pending = f.Integer()
    sending = f.Integer()
    sent = f.Integer()
    dead = f.Integer()
    total = f.Integer()


class DeadLetterSchema(ma.Schema):
    id = f.String()
    channel = f.String()
    template = f.String()
    attempts = f.Integer()
    last_error = f.String(allow_none=True)
    created_at = f.DateTime()
    person_id = f.String(allow_none=True)


class DeliveryFiguresSchema(ma.Schema):
    by_channel = f.Dict(keys=f.String(), values=f.Nested(DeliveryStatusCountsSchema))
    totals = f.Nested(DeliveryStatusCountsSchema)
    read = f.Integer()
    dead_letters = f.List(f.Nested(DeadLetterSchema))


class CampaignStatsSchema(DeliveryFiguresSchema):
    campaign = f.Nested(CampaignSchema)


class NotificationStatsSchema(DeliveryFiguresSchema):
    since = f.DateTime()
    until = f.DateTime()
    template = f.String(allow_none=True)


class NotificationStatsQueryArgsSchema(ma.Schema):
    since = f.AwareDateTime(load_default=None)
    until = f.AwareDateTime(load_default=None)
    template = f.String(load_default=None, validate=v.Length(max=64))
