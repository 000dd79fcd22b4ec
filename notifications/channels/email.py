"""E-mail over SMTP with smtplib; the Message-ID is derived from the outbox id.

A resend of the same outbox message carries the same Message-ID, which mail systems and readers
use to recognise (and many to collapse) a duplicate.
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formataddr

from notifications.channels import DeliveryFailed, OutboxMessage


class SmtpChannel:
    """One SMTP connection per worker, opened on the first send and reopened when it drops."""

    def __init__(self, host: str, port: int = 25, *, sender: str, sender_name: str = "Sổ Sức Khỏe",
                 username: str | None = None, password: str | None = None,
                 starttls: bool = False, timeout: float = 10.0,
                 message_id_domain: str = "so-suc-khoe.local") -> None:
        self.host, self.port = host, port
        self.sender, self.sender_name = sender, sender_name
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout
        self.domain = message_id_domain
        self._smtp: smtplib.SMTP | None = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            try:
                # A cheap check before we hand it a message: an idle connection the server
                # closed would fail mid-send and leave us unsure whether it was accepted.
                if self._smtp.noop()[0] == 250:
                    return self._smtp
            except smtplib.SMTPException:
                pass
            self.close()
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def message_id(self, outbox_id: str) -> str:
        return f"<{outbox_id}@{self.domain}>"

    def build(self, message: OutboxMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = formataddr((self.sender_name, self.sender))
        mail["To"] = message.to
        mail["Subject"] = message.title
        mail["Message-ID"] = self.message_id(message.id)
        mail["X-SSK-Outbox-Id"] = message.id
        mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
        mail.set_content(message.body)
        mail["Content-Language"] = message.lang  # after set_content, which clears Content-*
        return mail

    def send(self, message: OutboxMessage) -> str:
        if not isinstance(message.to, str) or "@" not in message.to:
            raise DeliveryFailed("bad e-mail address", permanent=True)
        mail = self.build(message)
        try:
            self._connection().send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryFailed(f"recipient refused: {codes}",
                                 permanent=all(c >= 500 for c in codes)) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise DeliveryFailed(f"SMTP {exc.smtp_code}", permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryFailed(f"SMTP unreachable: {exc}") from exc
        return mail["Message-ID"]
