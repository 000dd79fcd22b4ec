"""Web Push for the PWA (RFC 8030 delivery, RFC 8291 encryption, RFC 8292 VAPID) via pywebpush.

The recipient is the browser's PushSubscription JSON: {endpoint, keys: {p256dh, auth}}. The
payload (JSON: id, template, title, body, urgent) is encrypted to the subscription's key, so the
push service sees only ciphertext; the service worker shows the notification.
"""
from __future__ import annotations

import json

from notifications.channels import DeliveryFailed, OutboxMessage


class WebPushChannel:
    """Send one push message per outbox message; 404/410 mean the subscription is gone.

    :param vapid_private_key: the application server's P-256 key: raw 32 bytes base64url, or
        DER base64url (what `vapid --gen` writes, without the PEM armour).
    :param vapid_subject: a contact for the push service, "mailto:…" or "https://…".
    :param ttl: seconds the push service keeps an undelivered message.
    """

    def __init__(self, vapid_private_key: str, vapid_subject: str, *, ttl: int = 4 * 24 * 3600,
                 timeout: float = 10.0) -> None:
        self._key_text = vapid_private_key
        self.subject = vapid_subject
        self.ttl = ttl
        self.timeout = timeout
        self._vapid = None
        self._session = None

    def _clients(self):
        if self._session is None:
            import requests
            from py_vapid import Vapid

            self._vapid = Vapid.from_string(private_key=self._key_text)
            self._session = requests.Session()
        return self._vapid, self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def send(self, message: OutboxMessage) -> str:
        from pywebpush import WebPushException, webpush
        import requests

        vapid, session = self._clients()
        sub = message.to
        if not isinstance(sub, dict) or "endpoint" not in sub or "keys" not in sub:
            raise DeliveryFailed("bad Web Push subscription", permanent=True)
        payload = json.dumps({"id": message.id, "template": message.template,
                              "title": message.title, "body": message.body,
                              "urgent": message.urgent}, ensure_ascii=False)
        # Topic (RFC 8030 §5.4): a resend with the same topic replaces the first copy while the
        # push service still holds it. Urgency (§5.3) lets a phone in power saving wait.
        headers = {"Topic": message.dedupe_token,
                   "Urgency": "high" if message.urgent else "normal"}
        try:
            # A fresh claims dict each time: pywebpush writes "aud" (the push service's origin)
            # into it, and subscriptions live on different push services.
            resp = webpush(sub, data=payload, vapid_private_key=vapid,
                           vapid_claims={"sub": self.subject}, ttl=self.ttl, headers=headers,
                           timeout=self.timeout, requests_session=session)
        except WebPushException as exc:
            status = exc.response.status_code if exc.response is not None else None
            # 404/410: the subscription expired or was unsubscribed; 400/403/413: the request
            # itself is wrong (bad keys, VAPID mismatch, too large) and will not get better.
            permanent = status in (400, 403, 404, 410, 413)
            raise DeliveryFailed(f"push service answered {status}", permanent=permanent) from exc
        except requests.RequestException as exc:
            raise DeliveryFailed(f"push service unreachable: {exc}") from exc
        except ValueError as exc:
            raise DeliveryFailed(f"bad Web Push subscription: {exc}", permanent=True) from exc
        return resp.headers.get("Location", "") or str(resp.status_code)
