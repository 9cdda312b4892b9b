"""What the request-id/metrics/access-log middleware costs per request, in process.

    python bench/request_overhead.py [--requests 5000] [--rounds 5]

Drives the ASGI app directly (no sockets) with GET /api/v1/health on a tiny FastAPI app,
with and without ObservabilityMiddleware, and prints microseconds per request for each.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi import APIRouter, FastAPI

from shop.api.observability import ObservabilityMiddleware


def build(with_middleware: bool) -> FastAPI:
    app = FastAPI()
    router = APIRouter()

    @router.get("/carts/{token}")
    def cart(token: str) -> dict[str, str]:
        return {"token": token}

    app.include_router(router, prefix="/api/v1")
    if with_middleware:
        app.add_middleware(ObservabilityMiddleware)
    return app


async def drive(app: FastAPI, n: int) -> float:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/v1/carts/abc",
        "raw_path": b"/api/v1/carts/abc",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("bench", 80),
    }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: dict[str, object]) -> None:
        return None

    for _ in range(200):
        await app(dict(scope), receive, send)
    started = time.perf_counter()
    for _ in range(n):
        await app(dict(scope), receive, send)
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    # Alternating rounds, best of each: the machine is shared, and noise only ever adds time.
    apps = {False: build(False), True: build(True)}
    best = {False: float("inf"), True: float("inf")}
    for _ in range(args.rounds):
        for flag, app in apps.items():
            best[flag] = min(best[flag], asyncio.run(drive(app, args.requests)))
    bare, observed = best[False], best[True]
    print(
        f"bare app: {bare:.1f} µs/request; with ObservabilityMiddleware: {observed:.1f} µs/request "
        f"(+{observed - bare:.1f} µs)"
    )


if __name__ == "__main__":
    main()
