"""A real SMTP server (aiosmtpd) on a free port that keeps what it receives."""

from __future__ import annotations

import email
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.live_server import free_port


@dataclass
class Inbox:
    url: str = ""
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    # Answer this many DATA commands with a temporary failure, as a busy server does.
    refuse: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 Mail server busy, try again later"
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if isinstance(data, LoginPassword):
            self.logins.append((data.login.decode(), data.password.decode()))
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def text(self, index: int = -1) -> str:
        body = self.messages[index].get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""  # type: ignore[union-attr]
        return str(text).replace("\r\n", "\n")

    def html(self, index: int = -1) -> str:
        body = self.messages[index].get_body(preferencelist=("html",))
        text = body.get_content() if body is not None else ""  # type: ignore[union-attr]
        return str(text).replace("\r\n", "\n")


def start_inbox() -> tuple[Inbox, Controller]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    inbox.url = f"smtp://127.0.0.1:{port}"
    return inbox, controller
