"""Sending mail: SMTP when `smtp_url` is set, otherwise a log line per message (development).

`smtp_url` forms: `smtp://host:25` (plain), `smtp://user:pass@host:587?starttls=true`,
`smtps://user:pass@host:465` (TLS from the first byte). User and password are URL-decoded.
"""

from __future__ import annotations

import functools
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 30
_TRUE = {"1", "true", "yes", "on"}


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str | None = None


def build_message(mail: Mail, *, sender: str, sender_name: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((sender_name, sender))
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    return message


class LogMailer:
    """What development uses: the mail is written to the log, never sent."""

    def send(self, message: EmailMessage) -> None:
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        log.info(
            "mail to %s: %s\n%s",
            message["To"],
            message["Subject"],
            text,
            extra={"mail_to": message["To"], "subject": message["Subject"]},
        )


class SmtpMailer:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"smtp_url must look like smtp://user:pass@host:port, not {url!r}")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        options = parse_qs(parts.query)
        self.starttls = options.get("starttls", [""])[0].lower() in _TRUE

    @functools.cached_property
    def _tls(self) -> ssl.SSLContext:
        # Loading the system's CA certificates takes ~80 ms: once per mailer, and only for TLS.
        return ssl.create_default_context()

    def send(self, message: EmailMessage) -> None:
        smtp: smtplib.SMTP
        if self.implicit_tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS, context=self._tls)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
        with smtp:
            if self.starttls:
                smtp.starttls(context=self._tls)
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def mailer_for(smtp_url: str | None) -> Mailer:
    return SmtpMailer(smtp_url) if smtp_url else LogMailer()
