"""Cross-site request forgery protection for the admin (sqladmin has none).

Every session carries a random token. A request that changes state must send it back,
in the `X-CSRF-Token` header (the admin's own JavaScript: deletes, imports) or the
`csrf_token` form field (every POST form) or query parameter (the GET links of
custom actions and logout, which sqladmin renders as plain links). A request without
a matching token is refused with 403 before it reaches any view.
"""

from __future__ import annotations

import hmac
import re
from contextvars import ContextVar
from urllib.parse import parse_qs

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from wtforms import HiddenField

from shop.core.security import new_token

SESSION_KEY = "csrf_token"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# GET routes that act: sqladmin's `@action` endpoints and logout.
GUARDED_GETS = re.compile(r"^/[^/]+/action/[^/]+/?$|^/logout/?$")


# The token of the request being handled, for form fields that render it (see `TokenField`).
_current_token: ContextVar[str] = ContextVar("admin_csrf_token", default="")


def _session_token(session: dict[str, object]) -> str:
    token = session.get(SESSION_KEY)
    if not token:
        token = new_token()
        session[SESSION_KEY] = token
    return str(token)


def csrf_token(request: Request) -> str:
    """The session's token, created on first use (templates call this)."""
    return _session_token(request.session)


class TokenField(HiddenField):
    """A hidden `csrf_token` input in sqladmin's own create and edit forms, rendered on the
    server, so those forms work without the admin's JavaScript."""

    def _value(self) -> str:
        return _current_token.get()


class CSRFMiddleware:
    """Pure ASGI, inside the session middleware so the token is readable.

    Form bodies are read here and replayed to the app unchanged, so views parse them as usual.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "session" in scope:
            _current_token.set(_session_token(scope["session"]))
        if not self._guarded(scope):
            await self.app(scope, receive, send)
            return
        expected = scope.get("session", {}).get(SESSION_KEY)
        sent = Headers(scope=scope).get(HEADER) or _query_token(scope)
        body: list[Message] = []
        if not sent and scope["method"] not in SAFE_METHODS:
            body = await _read_body(receive)
            sent = await _form_token(scope, body)
        if not expected or not sent or not hmac.compare_digest(str(expected), sent):
            response = PlainTextResponse(
                "The form has expired or did not come from this admin (CSRF check failed). "
                "Reload the page and try again.",
                status_code=403,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive) if body else receive, send)

    @staticmethod
    def _guarded(scope: Scope) -> bool:
        if scope["method"] not in SAFE_METHODS:
            return True
        return bool(GUARDED_GETS.match(_local_path(scope)))


def _local_path(scope: Scope) -> str:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _query_token(scope: Scope) -> str | None:
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get(FIELD)
    return values[0] if values else None


async def _read_body(receive: Receive) -> list[Message]:
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


async def _form_token(scope: Scope, body: list[Message]) -> str | None:
    content_type = Headers(scope=scope).get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return None
    request = Request(scope, _replay(body, _disconnected))
    async with request.form() as form:
        value = form.get(FIELD)
    return value if isinstance(value, str) else None


def _replay(body: list[Message], receive: Receive) -> Receive:
    pending = list(body)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _disconnected() -> Message:
    return {"type": "http.disconnect"}
