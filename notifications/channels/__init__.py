"""One small adapter per channel; each has `send(message) -> provider_id` and raises `DeliveryFailed`.

Every adapter builds its SDK client lazily on the first send, so a worker process creates its
clients after it has forked and nothing talks to the network at import. Each carries the outbox
id to the receiver (e-mail Message-ID, FCM data field and collapse key, Web Push Topic header,
SMS gateway Idempotency-Key) so a resend after a crash can be recognised as the same message.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class DeliveryFailed(Exception):
    """The channel could not deliver; `permanent` means retrying will not help (bad address)."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


@dataclass(frozen=True)
class OutboxMessage:
    """One claimed outbox row, rendered, as a channel sees it."""

    id: str
    channel: str
    to: Any
    template: str
    params: dict
    lang: str
    title: str
    body: str
    urgent: bool = False
    attempt: int = 1
    account_id: str | None = None
    person_id: str | None = None

    @property
    def dedupe_token(self) -> str:
        """The outbox id as 32 URL-safe characters: fits Web Push's Topic (RFC 8030 §5.4)."""
        return self.id.replace("-", "")


class Channel(Protocol):
    def send(self, message: OutboxMessage) -> str: ...


class InboxChannel:
    """The in-app inbox: stored is delivered; the worker only marks it sent once it is due."""

    def send(self, message: OutboxMessage) -> str:
        return "inbox"
