"""Firebase Cloud Messaging through firebase-admin: the only module that imports firebase_admin.

The recipient is `{"fid": <Firebase installation id>}` or `{"token": <registration token>}` (a
bare string is a registration token). firebase-admin 7.7 deprecates `Message(token=...)` in
favour of `fid=`; we use `fid` whenever we have one and silence exactly that one warning for the
registration tokens phones still report (the FCM v1 API still takes `message.token`).
"""
from __future__ import annotations

import warnings
from typing import Any

from notifications.channels import DeliveryFailed, OutboxMessage

# FCM error codes after which the same request can never succeed (FCM v1 ErrorCode).
_PERMANENT = ("UnregisteredError", "SenderIdMismatchError", "InvalidArgumentError",
              "ThirdPartyAuthError", "PermissionDeniedError", "NotFoundError")


class FcmChannel:
    """Send through FCM v1; the firebase app is created on the first send (after fork).

    :param project_id: the Firebase project.
    :param credential: a `firebase_admin.credentials.Base`; default: Application Default
        Credentials (GOOGLE_APPLICATION_CREDENTIALS).
    """

    def __init__(self, project_id: str, *, credential: Any = None,
                 app_name: str = "ssk-notifications", timeout: float = 10.0) -> None:
        self.project_id = project_id
        self._credential = credential
        self._app_name = app_name
        self._timeout = timeout
        self._app = None

    def _client(self):
        if self._app is None:
            import firebase_admin
            from firebase_admin import credentials

            cred = self._credential or credentials.ApplicationDefault()
            self._app = firebase_admin.initialize_app(
                cred, {"projectId": self.project_id, "httpTimeout": self._timeout},
                name=self._app_name)
        return self._app

    def close(self) -> None:
        if self._app is not None:
            import firebase_admin

            firebase_admin.delete_app(self._app)
            self._app = None

    def build(self, message: OutboxMessage):
        """The firebase-admin Message for one outbox message (public for tests and previews)."""
        from firebase_admin import messaging

        to = message.to
        target = {"token": to} if isinstance(to, str) else dict(to)
        if set(target) not in ({"fid"}, {"token"}):
            raise DeliveryFailed(f"bad FCM recipient {sorted(target)}", permanent=True)
        # The outbox id rides along three ways: a data field the app can dedupe on, and the
        # Android collapse key / APNs collapse id, with which a resend replaces the first copy
        # still waiting on the device instead of showing twice.
        token = message.dedupe_token
        kwargs = dict(
            data={"outbox_id": message.id, "template": message.template},
            notification=messaging.Notification(title=message.title, body=message.body),
            android=messaging.AndroidConfig(collapse_key=token,
                                            priority="high" if message.urgent else "normal"),
            apns=messaging.APNSConfig(headers={"apns-collapse-id": token}),
            webpush=messaging.WebpushConfig(headers={"Topic": token}),
        )
        if "fid" in target:
            return messaging.Message(fid=target["fid"], **kwargs)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Message.token is deprecated",
                                    category=DeprecationWarning)
            return messaging.Message(token=target["token"], **kwargs)

    def send(self, message: OutboxMessage) -> str:
        from firebase_admin import exceptions, messaging

        fcm_message = self.build(message)
        try:
            return messaging.send(fcm_message, app=self._client())
        except exceptions.FirebaseError as exc:
            permanent = type(exc).__name__ in _PERMANENT
            raise DeliveryFailed(f"FCM {type(exc).__name__}: {exc}", permanent=permanent) from exc
        except ValueError as exc:  # the SDK's own validation of the message
            raise DeliveryFailed(f"FCM rejected the message: {exc}", permanent=True) from exc
