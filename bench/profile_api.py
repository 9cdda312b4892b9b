"""Where a request's server CPU goes: the real app against PostgreSQL, in process, under cProfile.

    SHOP_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/shop_bench \
        .venv/bin/python bench/profile_api.py [--scenario checkout|cart|health] [--requests 300]
        [--clients 8] [--top 40] [--no-profile]

The database is emptied and seeded as bench/api.py does. Requests go to the ASGI app directly
(no sockets, no uvicorn), `clients` at a time. Each thread (the event loop's and every
threadpool worker's) gets its own profiler timed by that thread's CPU clock, so waiting for
PostgreSQL counts nothing; the profiles are merged. Printed: CPU per request of this process
(with and without the profiler), CPU by package, and the costliest functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import anyio.to_thread

from bench.api import ADDRESS, SKUS, seed

TIMER = time.thread_time

Send = Callable[[str, str, Any, dict[str, str] | None], Awaitable[tuple[int, bytes]]]


def asgi_client(app: Any) -> Send:
    async def request(
        method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        raw = json.dumps(body).encode() if body is not None else b""
        header_list = [(b"host", b"bench"), (b"content-length", str(len(raw)).encode())]
        if body is not None:
            header_list.append((b"content-type", b"application/json"))
        header_list += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": header_list,
            "client": ("127.0.0.1", 1),
            "server": ("bench", 80),
        }
        sent = False
        status = 0
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.Event().wait()  # the client stays connected
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(scope, receive, send)
        return status, b"".join(chunks)

    return request


class ThreadProfiles:
    """One cProfile per thread, timed by the thread's own CPU clock."""

    def __init__(self) -> None:
        self.local = threading.local()
        self.all: list[cProfile.Profile] = []
        self.lock = threading.Lock()
        self.on = False
        self.pool_cpu = 0.0  # CPU seconds spent inside threadpool calls (always counted)

    def mine(self) -> cProfile.Profile:
        profile = getattr(self.local, "profile", None)
        if profile is None:
            profile = cProfile.Profile(TIMER)
            self.local.profile = profile
            with self.lock:
                self.all.append(profile)
        return profile

    def wrap(self, func: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any) -> Any:
            if not self.on:
                started = time.thread_time()
                try:
                    return func(*args)
                finally:
                    spent = time.thread_time() - started
                    with self.lock:
                        self.pool_cpu += spent
            profile = self.mine()
            profile.enable()
            try:
                return func(*args)
            finally:
                profile.disable()

        return run

    def install(self) -> None:
        original = anyio.to_thread.run_sync

        async def run_sync(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            return await original(self.wrap(func), *args, **kwargs)

        anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]

    def stats(self) -> pstats.Stats:
        stats = pstats.Stats(self.all[0], stream=io.StringIO())
        for profile in self.all[1:]:
            stats.add(profile)
        return stats


def package(filename: str) -> str:
    if filename.startswith("~") or filename.startswith("<"):
        return "builtins/C"
    parts = Path(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    if "shop" in parts:
        index = len(parts) - 1 - parts[::-1].index("shop")
        return "/".join(parts[index : index + 3]).removesuffix(".py")
    if "python3.11" in parts:
        return "stdlib:" + parts[parts.index("python3.11") + 1]
    return filename


async def make_carts(client: Send, count: int, lines: int) -> list[str]:
    tokens = []
    for i in range(count):
        status, answer = await client("POST", "/api/v1/carts", None, None)
        assert status == 201, answer
        token = json.loads(answer)["token"]
        for j in range(lines):
            status, answer = await client(
                "POST",
                f"/api/v1/carts/{token}/lines",
                {"sku": SKUS[(i + j) % len(SKUS)], "quantity": 1},
                None,
            )
            assert status == 201, answer
        tokens.append(token)
    return tokens


async def scenario(name: str, client: Send, n: int) -> Callable[[int], Awaitable[int]]:
    if name == "health":

        async def health(_i: int) -> int:
            return (await client("GET", "/api/v1/health", None, None))[0]

        return health
    if name == "cart":
        carts = await make_carts(client, 64, 3)

        async def read(i: int) -> int:
            return (await client("GET", f"/api/v1/carts/{carts[i % len(carts)]}", None, None))[0]

        return read
    if name == "lines":
        carts = await make_carts(client, 256, 0)

        async def add(i: int) -> int:
            body = {"sku": SKUS[i % len(SKUS)], "quantity": 1}
            return (await client("POST", f"/api/v1/carts/{carts[i % len(carts)]}/lines", body, None))[0]

        return add
    carts = await make_carts(client, n + 50, 2)

    async def checkout(i: int) -> int:
        body = {
            "cart_token": carts[i],
            "email": f"bench{i}@example.com",
            "shipping_address": ADDRESS,
            "shipping_method": "standard",
        }
        status, answer = await client(
            "POST", "/api/v1/checkout", body, {"Idempotency-Key": str(uuid.uuid4())}
        )
        if status != 201:
            raise RuntimeError(f"{status}: {answer[:300]!r}")
        return status

    return checkout


async def drive(request: Callable[[int], Awaitable[int]], start: int, n: int, clients: int) -> None:
    counter = iter(range(start, start + n))

    async def loop() -> None:
        for i in counter:
            status = await request(i)
            if not 200 <= status < 300:
                raise RuntimeError(f"request {i} answered {status}")

    await asyncio.gather(*(loop() for _ in range(clients)))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("SHOP_BENCH_DATABASE_URL"))
    parser.add_argument("--scenario", choices=["checkout", "cart", "health", "lines"], default="checkout")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--dump", help="write the merged pstats here")
    parser.add_argument(
        "--spy",
        help="instead of cProfile, sample the measured phase with this py-spy binary (raw stacks to --dump)",
    )
    parser.add_argument(
        "--wall", action="store_true", help="time the profile by the wall clock (cheaper; waits count)"
    )
    args = parser.parse_args()
    if args.wall:
        global TIMER
        TIMER = time.perf_counter
    if not args.database_url or not args.database_url.startswith("postgresql"):
        print("error: set SHOP_BENCH_DATABASE_URL to a PostgreSQL database it may empty", file=sys.stderr)
        return 2
    seed(args.database_url)
    store = tempfile.mkdtemp()
    os.environ.update(
        {
            "SHOP_DIR": store,
            "SHOP_ENV": "test",
            "SHOP_DATABASE_URL": args.database_url,
            "SHOP_SECRET_KEY": "live-server-secret-key-0123456789-abcdefgh",
            "SHOP_RATE_LIMITS": "{}",
            "SHOP_SITE_URL": "http://127.0.0.1:1",
        }
    )
    from shop.api.asgi import app as make_app

    app = make_app()
    profiles = ThreadProfiles()
    profiles.install()
    client = asgi_client(app)

    async def run() -> None:
        # Twice the requests: the first half unprofiled (warm-up, then the plain CPU figure).
        n = args.requests
        request = await scenario(args.scenario, client, 2 * n + 20)
        await drive(request, 0, 20, args.clients)
        spy = None
        if args.spy:
            spy = subprocess.Popen(
                [
                    args.spy,
                    "record",
                    "--pid",
                    str(os.getpid()),
                    "--rate",
                    "1000",
                    "--gil",
                    "--format",
                    "raw",
                    "-o",
                    args.dump or "/tmp/profile_api.txt",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            await asyncio.sleep(1.0)
        profiles.pool_cpu = 0.0
        cpu, wall = time.process_time(), time.perf_counter()
        await drive(request, 20, n, args.clients)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        pool_cpu = profiles.pool_cpu
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait()
        print(
            f"{args.scenario}: {n} requests, {args.clients} at a time, unprofiled: "
            f"{cpu / n * 1e3:.2f} ms CPU per request in this process "
            f"({pool_cpu / n * 1e3:.2f} ms of it in threadpool calls), {n / wall:.0f} req/s"
        )
        if args.no_profile or args.spy:
            return
        main_profile = profiles.mine()
        profiles.on = True
        main_profile.enable()
        cpu = time.process_time()
        await drive(request, 20 + n, n, args.clients)
        cpu = time.process_time() - cpu
        main_profile.disable()
        profiles.on = False
        print(f"profiled: {cpu / n * 1e3:.2f} ms CPU per request")

    asyncio.run(run())
    if args.no_profile or args.spy:
        return 0
    stats = profiles.stats()
    if args.dump:
        stats.dump_stats(args.dump)
    n = args.requests
    by_package: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, _line, _name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_package[package(filename)] += tt
        total += tt
    print(f"\nprofiled CPU per request: {total / n * 1e3:.2f} ms; own time by package (ms per request):")
    for name, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:30]:
        print(f"  {seconds / n * 1e3:7.3f}  {100 * seconds / total:5.1f} %  {name}")
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    stats.sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
