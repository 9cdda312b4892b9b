"""Per request: an id (the client's `X-Request-ID` or a new one), a log line and metrics.

A pure ASGI middleware (no BaseHTTPMiddleware), so streaming bodies pass untouched and the
cost per request stays a few microseconds.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import time
from typing import Any

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shop.api.metrics import HTTP_LATENCY, HTTP_REQUESTS, UNMATCHED_ROUTE
from shop.config.logging import request_id_var

log = logging.getLogger("shop.api.access")

REQUEST_ID_HEADER = b"x-request-id"
# A client's id is echoed only when it is short and plain, so it cannot forge log lines.
_ACCEPTABLE_ID = re.compile(rb"^[A-Za-z0-9._:-]{1,128}$")


def _incoming_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and _ACCEPTABLE_ID.match(value):
            return value.decode()
    return os.urandom(16).hex()  # a quarter of uuid4's cost, same 128 random bits


@functools.lru_cache(maxsize=4096)
def _series(method: str, route: str, status: int) -> tuple[Any, Any]:
    # Looking a labelled child up takes a lock and a dict; routes are few, so keep them.
    return HTTP_REQUESTS.labels(method, route, str(status)), HTTP_LATENCY.labels(method, route)


def route_template(scope: Scope) -> str:
    """The matched route as written (`/api/v1/carts/{token}`), never the raw path with its ids.

    A route inside an included router knows only its own part of the path, so the prefix is
    taken from the request path: as many leading segments as the route does not account for.
    """
    route = scope.get("route")
    local = getattr(route, "path", None)
    if local is None:
        return UNMATCHED_ROUTE
    if isinstance(route, Mount):
        return f"{local}/{{path}}"
    own = len([part for part in local.split("/") if part])
    segments = [part for part in scope["path"].split("/") if part]
    prefix = segments[: max(0, len(segments) - own)]
    return "/" + "/".join([*prefix, *[part for part in local.split("/") if part]])


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER, request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"]
            _series(method, route, status)[0].inc()
            _series(method, route, status)[1].observe(elapsed)
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "%s %s %s %.1f ms",
                    method,
                    scope["path"],
                    status,
                    elapsed * 1000,
                    extra={
                        "method": method,
                        "path": scope["path"],
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                    },
                )
            request_id_var.reset(token)
