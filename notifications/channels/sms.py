"""SMS: a console provider for embedded mode and an HTTP gateway adapter for production."""
from __future__ import annotations

import json
import logging
import threading
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from notifications.channels import DeliveryFailed

log = logging.getLogger("ssk.sms")


@dataclass
class ConsoleSms:
    """Embedded mode: the 'SMS' goes to the server log and to a file a developer can read."""

    outbox_file: Path
    _lock = threading.Lock()

    def send(self, to: str, text: str, *, idempotency_key: str | None = None) -> str:
        # The file keeps its three columns (time, to, text): developers and tests read it.
        line = f"{datetime.now(timezone.utc).isoformat()}\t{to}\t{text}\n"
        log.warning("SMS to %s: %s", to, text)
        self.outbox_file.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.outbox_file, "a", encoding="utf-8") as f:
            f.write(line)
        return "console"


@dataclass
class HttpSmsGateway:
    """A JSON-over-HTTP SMS gateway: POST {to, text[, client_ref]} → 2xx {id}."""

    url: str
    token: str = ""
    timeout: float = 10.0

    def send(self, to: str, text: str, *, idempotency_key: str | None = None) -> str:
        """Send one SMS; `idempotency_key` (the outbox id) lets the gateway drop a resend."""
        payload = {"to": to, "text": text}
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        if idempotency_key:
            payload["client_ref"] = idempotency_key
            headers["Idempotency-Key"] = idempotency_key
        req = urllib.request.Request(self.url, data=json.dumps(payload).encode(), headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return json.loads(resp.read() or b"{}").get("id", "")
        except urllib.error.HTTPError as exc:
            exc.close()  # it holds the response: unclosed, it is a ResourceWarning
            raise DeliveryFailed(f"gateway answered {exc.code}", permanent=400 <= exc.code < 500
                                 and exc.code != 429) from exc
        except OSError as exc:
            raise DeliveryFailed(f"gateway unreachable: {exc}") from exc


@dataclass
class SmsChannel:
    """The outbox's SMS channel over either provider above: one text, title then body."""

    provider: ConsoleSms | HttpSmsGateway

    def send(self, message) -> str:
        text = f"{message.title}: {message.body}"
        return self.provider.send(message.to, text, idempotency_key=message.id) or "sms"
