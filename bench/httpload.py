"""A lean HTTP/1.1 keep-alive client for load generation: raw asyncio streams, no HTTP library.

httpx builds a Request and a Response object, runs its header machinery and its own
connection pool per call; on a 2-core machine that costs the load generator as much CPU as
the server spends answering, so every figure measured the client. Here a request is one
pre-formatted byte string written to an open socket and an answer is a status line, a
Content-Length and that many bytes: a few microseconds of Python per request.

It speaks only what the benchmark needs: one connection per client, requests in sequence,
answers with Content-Length (what Starlette/uvicorn always send for JSON).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlsplit


class HttpError(Exception):
    pass


class Connection:
    """One keep-alive connection; `request` sends and reads one exchange at a time."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._host_header = f"Host: {self.host}:{self.port}\r\n".encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Connection:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await self._writer.wait_closed()

    def build(
        self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
    ) -> bytes:
        """The request's bytes; build once and `send` many times when nothing changes."""
        payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        head = [f"{method} {path} HTTP/1.1\r\n".encode(), self._host_header]
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}\r\n".encode())
        if body is not None:
            head.append(b"Content-Type: application/json\r\n")
        if payload or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(payload)}\r\n".encode())
        head.append(b"\r\n")
        return b"".join(head) + payload

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        """Write one prepared request; (status, body) of its answer."""
        assert self._reader is not None and self._writer is not None
        self._writer.write(raw)
        head = await self._reader.readuntil(b"\r\n\r\n")
        # b"HTTP/1.1 200 OK\r\n..."
        status = int(head[9:12])
        start = head.find(b"content-length:")
        if start < 0:
            start = head.lower().find(b"content-length:")
            if start < 0:
                raise HttpError(f"answer without Content-Length: {head[:200]!r}")
        end = head.index(b"\r\n", start)
        length = int(head[start + 15 : end])
        return status, await self._reader.readexactly(length) if length else b""

    async def request(
        self, method: str, path: str, *, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        return await self.send(self.build(method, path, body=body, headers=headers))
