"""Refuse oversized request bodies with 413 before any route reads them."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shop.api.problems import PROBLEM_JSON, TYPE_BASE

API_BODY_LIMIT = 64 * 1024
# Provider webhooks carry whole objects (a Stripe event with its line items can exceed 64 KB).
WEBHOOK_BODY_LIMIT = 1024 * 1024


class BodySizeLimit:
    """Pure ASGI middleware: checks Content-Length, and counts streamed bodies too."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        prefix: str,
        limit: int = API_BODY_LIMIT,
        overrides: dict[str, int] | None = None,
    ) -> None:
        self.app = app
        self.prefix = prefix
        self.limit = limit
        self.overrides = overrides or {}

    def _limit_for(self, path: str) -> int:
        for prefix, limit in self.overrides.items():
            if path.startswith(prefix):
                return limit
        return self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not scope["path"].startswith(self.prefix)
            or scope["method"] in ("GET", "HEAD", "OPTIONS")
        ):
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope["path"])
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = limit + 1
                if declared > limit:
                    await _too_large(send, limit)
                    return
        # Without a trustworthy length (chunked), read the body up to the limit first.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": TYPE_BASE + "payload-too-large",
            "title": "Payload too large",
            "status": 413,
            "detail": f"request body larger than {limit} bytes",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
