"""Benchmark the commerce API on a real server: `shop serve` (uvicorn) with several workers on PostgreSQL.

    SHOP_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/shop_bench \
        .venv/bin/python bench/api.py [--workers 4] [--clients 16] [--seconds 5]

The database is emptied and seeded first. This process is the load generator (asyncio on
uvloop with a raw HTTP/1.1 keep-alive client, bench/httpload.py, one connection per client);
the server runs in its own processes. Each scenario first runs untimed for a second on the
same connections (its first requests plan statements and fill caches). Printed per
scenario: requests/s, p50 and p99 latency, and non-2xx answers, with /health as the
ceiling of what this server and client can do at all. Aims (issue 5): cart reads at least
half of health's rate; checkout p99 under 100 ms at 16 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from sqlalchemy import make_url
from sqlalchemy.orm import Session

from bench.cpu import CpuMeter, Groups, server_session
from bench.httpload import Connection
from shop.core.catalog.models import Product, ProductStatus, Variant
from shop.core.db import make_engine
from shop.core.inventory.models import Location, StockLevel
from shop.core.models import Base
from shop.core.shipping.models import ShippingMethod
from shop.core.tax.models import TaxRate
from tests.live_server import live_server

SKUS = [f"BENCH-{i}" for i in range(8)]
# Seconds each scenario runs on its connections before it is timed (see `run`).
WARMUP = 1.0
ADDRESS = {
    "first_name": "Bea",
    "last_name": "Bench",
    "line1": "Load St 1",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
}

# Set in main() once the server runs: whose CPU time is whose.
GROUPS: Groups | None = None
DATABASE: str | None = None  # for psycopg, to see checkpoints


def checkpoints() -> int:
    if DATABASE is None:
        return 0
    with psycopg.connect(DATABASE) as db:
        # Both times grow when a checkpoint completes, the moment its fsyncs run.
        row = db.execute(
            "SELECT checkpoint_write_time + checkpoint_sync_time FROM pg_stat_bgwriter"
        ).fetchone()
    return int(row[0]) if row else 0


# A request: (the client's connection, running index) -> status code.
Request = Callable[[Connection, int], Awaitable[int]]


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    failures: int
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by process group
    # Each client's mean latency: clients keep one connection each, and a connection stays
    # with the worker that accepted it, so a lopsided split shows here.
    client_means: list[float] = field(default_factory=list)
    checkpoints: int = 0  # > 0: a PostgreSQL checkpoint completed while it was timed

    def add(self, part: Result) -> None:
        self.checkpoints += part.checkpoints
        self.requests += part.requests
        self.seconds += part.seconds
        self.latencies += part.latencies
        self.failures += part.failures
        self.client_means += part.client_means
        for group, seconds in part.cpu.items():
            self.cpu[group] = self.cpu.get(group, 0.0) + seconds

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.name:<28} {self.rate:>9.0f} req/s   p50 {self.percentile(0.50):>7.1f} ms   "
            f"p99 {self.percentile(0.99):>7.1f} ms   n={self.requests:<6} failed={self.failures}"
        )

    def spread_line(self) -> str:
        if len(self.client_means) < 2:
            return ""
        means = sorted(self.client_means)
        return (
            f"{'':<28} clients' mean latency {means[0] * 1000:.0f}-{means[-1] * 1000:.0f} ms "
            f"(connections split unevenly between workers widen this)"
        )

    def checkpoint_line(self) -> str:
        if not self.checkpoints:
            return ""
        return (
            f"{'':<28} a PostgreSQL checkpoint completed meanwhile: its fsyncs (of every file the "
            "seeding and other databases changed) can stall commits"
        )

    def cpu_line(self) -> str:
        if not self.cpu or not self.requests:
            return ""
        per = {group: seconds / self.requests * 1e6 for group, seconds in self.cpu.items()}
        busy = sum(seconds for group, seconds in self.cpu.items() if group != "idle")
        return (
            f"{'':<28} CPU per request: server {per['server']:.0f} us, PostgreSQL {per['postgres']:.0f} us, "
            f"generator {per['generator']:.0f} us, other processes {per['other']:.0f} us; "
            f"machine idle {100 * self.cpu['idle'] / (self.cpu['idle'] + busy):.0f} %"
        )


def seed(url: str) -> None:
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        location = Location(name="Warehouse", code="WH", priority=0)
        session.add(location)
        for i, sku in enumerate(SKUS):
            product = Product(title=f"Bench product {i}", slug=f"bench-{i}", status=ProductStatus.ACTIVE)
            variant = Variant(sku=sku, price=1000 + 100 * i)
            product.variants.append(variant)
            session.add(product)
            session.add(StockLevel(variant=variant, location=location, on_hand=10_000_000))
        session.add_all(
            [
                ShippingMethod(name="Standard", code="standard", price=490, free_over=5000),
                TaxRate(name="VAT", country="DE", rate_bps=1900, prices_include_tax=True),
            ]
        )
    engine.dispose()


async def run(
    name: str,
    base: str,
    clients: int,
    seconds: float,
    request: Request,
    limit: int | None = None,
    expect: int | None = None,
    warmup: float = 0.0,
) -> Result:
    """`clients` loops sending `request` back to back for `seconds` (or `limit` requests in all);
    an answer other than 2xx (or `expect`) counts as failed. With `warmup`, the same
    connections first send requests for that long, neither timed nor counted (a server's
    first requests on a connection plan their statements and fill its caches; a server in
    use is past that), and the clock and CPU meter start once every client is done with it."""
    latencies: list[float] = []
    client_means: list[float] = []
    failures = 0
    counter = iter(range(limit if limit is not None else 10**12))
    warm_until = time.perf_counter() + warmup
    deadline = float("inf")
    warmed = 0
    go = asyncio.Event()
    meter = CpuMeter(GROUPS) if GROUPS is not None else None
    started = 0.0

    checkpoints_before = 0

    def begin() -> None:
        nonlocal deadline, started, checkpoints_before
        # The generator's own full garbage collection walks every module it imported (the
        # shop's models for seeding among them): 35-50 ms here, during which none of the 16
        # clients reads an answer, so every one of them records a slow request at once, which
        # was this bench's checkout p99 in some runs. Collected and frozen now, and paused
        # while timing (a client loop makes no reference cycles); a load generator in C has
        # no such pauses.
        gc.collect()
        gc.freeze()
        gc.disable()
        checkpoints_before = checkpoints()
        if meter:
            meter.start()
        started = time.perf_counter()
        deadline = started + seconds
        go.set()

    async def loop() -> None:
        nonlocal failures, warmed
        mine: list[float] = []
        async with Connection(base) as client:
            while time.perf_counter() < warm_until:
                index = next(counter, None)
                if index is None:
                    break
                await request(client, index)
            warmed += 1
            if warmed == clients:
                begin()
            await go.wait()
            while time.perf_counter() < deadline:
                index = next(counter, None)
                if index is None:
                    break
                sent = time.perf_counter()
                status = await request(client, index)
                mine.append(time.perf_counter() - sent)
                ok = status == expect if expect is not None else 200 <= status < 300
                if not ok:
                    failures += 1
        latencies.extend(mine)
        if mine:
            client_means.append(statistics.fmean(mine))

    try:
        await asyncio.gather(*(loop() for _ in range(clients)))
    finally:
        gc.enable()
        gc.unfreeze()
    elapsed = time.perf_counter() - started
    if limit is not None and elapsed < seconds * 0.95:
        print(f"note: {name} ran out of requests after {elapsed:.1f} s of {seconds}", file=sys.stderr)
    cpu = meter.stop() if meter else {}
    ran = checkpoints() - checkpoints_before
    return Result(name, len(latencies), elapsed, latencies, failures, cpu, client_means, ran)


async def make_carts(base: str, count: int, lines: int) -> list[str]:
    async def one(client: Connection, i: int) -> str:
        status, answer = await client.request("POST", "/api/v1/carts")
        if status != 201:
            raise RuntimeError(f"POST /carts answered {status}: {answer[:300]!r}")
        token = str(json.loads(answer)["token"])
        for j in range(lines):
            status, answer = await client.request(
                "POST",
                f"/api/v1/carts/{token}/lines",
                body={"sku": SKUS[(i + j) % len(SKUS)], "quantity": 1},
            )
            if status != 201:
                raise RuntimeError(f"POST /carts/…/lines answered {status}: {answer[:300]!r}")
        return token

    async def worker(offset: int, step: int) -> list[tuple[int, str]]:
        async with Connection(base) as client:
            return [(i, await one(client, i)) for i in range(offset, count, step)]

    made = await asyncio.gather(*(worker(offset, 16) for offset in range(16)))
    return [token for _, token in sorted(pair for part in made for pair in part)]


async def bench(base: str, clients: int, seconds: float) -> list[Result]:
    results = []

    async def health(client: Connection, _i: int) -> int:
        return (await client.request("GET", "/api/v1/health"))[0]

    read_carts = await make_carts(base, 64, 3)

    async def read(client: Connection, i: int) -> int:
        return (await client.request("GET", f"/api/v1/carts/{read_carts[i % len(read_carts)]}"))[0]

    async def nothing(client: Connection, _i: int) -> int:
        return (await client.request("GET", "/api/v1/no-such-route"))[0]

    # The machine is shared: health and cart reads take turns in short rounds, so a burst
    # of someone else's load does not land on one of the two only.
    rounds = 5
    ceiling = Result("GET /health (ceiling)", 0, 0.0, [], 0)
    reads = Result("GET /carts/{token}", 0, 0.0, [], 0)
    for round_ in range(rounds):
        for total, request in ((ceiling, health), (reads, read)):
            warmup = 0.0 if round_ else WARMUP
            total.add(await run(total.name, base, clients, seconds / rounds, request, warmup=warmup))
    results += [ceiling, reads]
    # For scale, not an aim: the framework alone (middlewares, routing, a 404 problem+json),
    # no database and no threadpool.
    results.append(
        await run("GET unknown route (404)", base, clients, seconds / 2, nothing, expect=404, warmup=WARMUP)
    )

    line_carts = await make_carts(base, 256, 0)

    async def add(client: Connection, i: int) -> int:
        token = line_carts[i % len(line_carts)]
        return (
            await client.request(
                "POST", f"/api/v1/carts/{token}/lines", body={"sku": SKUS[i % len(SKUS)], "quantity": 1}
            )
        )[0]

    results.append(await run("POST /carts/{token}/lines", base, clients, seconds, add, warmup=WARMUP))

    # Enough for the warm-up and 5 s at 16 clients on a fast run (about 400 checkouts a second
    # here), each cart checked out once.
    checkout_carts = await make_carts(base, 3600, 2)
    checkout_failure: list[str] = []
    unused = iter(range(len(checkout_carts)))  # each cart is checked out once

    async def checkout(client: Connection, _i: int) -> int:
        i = next(unused)
        body = {
            "cart_token": checkout_carts[i],
            "email": f"bench{i}@example.com",
            "shipping_address": ADDRESS,
            "shipping_method": "standard",
        }
        status, answer = await client.request(
            "POST", "/api/v1/checkout", body=body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        if status != 201 and not checkout_failure:
            checkout_failure.append(f"{status}: {answer[:300]!r}")
        return status

    single = 600  # carts kept for one client alone: a checkout's own latency, without queueing
    results.append(
        await run(
            "POST /checkout",
            base,
            clients,
            seconds,
            checkout,
            limit=len(checkout_carts) - single,
            warmup=WARMUP,
        )
    )
    results.append(
        await run("POST /checkout (1 client)", base, 1, seconds / 2, checkout, limit=single, warmup=0.3)
    )
    if checkout_failure:
        print(f"first failed checkout: {checkout_failure[0]}", file=sys.stderr)
    return results


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return None
    return uvloop.new_event_loop


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("SHOP_BENCH_DATABASE_URL"))
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql"):
        print(
            "error: set SHOP_BENCH_DATABASE_URL (or --database-url) to a PostgreSQL database it may empty",
            file=sys.stderr,
        )
        return 2
    seed(args.database_url)
    global GROUPS, DATABASE
    DATABASE = make_url(args.database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with (
        tempfile.TemporaryDirectory() as store,
        live_server(database_url=args.database_url, store_dir=Path(store), workers=args.workers) as base,
        asyncio.Runner(loop_factory=_loop_factory()) as runner,
    ):
        port = urlsplit(base).port
        GROUPS = Groups(
            server_session=server_session(port) if port else None,
            database=make_url(args.database_url).database or "",
            generator=os.getpid(),
        )
        results = runner.run(bench(base, args.clients, args.seconds))
    print(
        f"shop serve x{args.workers} workers, PostgreSQL, {args.clients} concurrent clients, "
        f"{args.seconds:.0f} s per scenario, "
        "load generator in this process (raw asyncio HTTP/1.1 keep-alive client on uvloop)"
    )
    for result in results:
        print(result.line())
        for extra in (result.cpu_line(), result.spread_line(), result.checkpoint_line()):
            if extra:
                print(extra)
    health, cart_read, _nothing, _add, checkout, _alone = results
    if health.cpu and cart_read.cpu:
        # The same ratio from CPU spent per request (server + PostgreSQL), which another
        # process's load on a shared machine disturbs less than requests/s.
        def cost(result: Result) -> float:
            return (result.cpu["server"] + result.cpu["postgres"]) / result.requests

        ratio = cost(health) / cost(cart_read)
        print(f"cart reads / health by CPU per request (server + PostgreSQL): {ratio:.2f}")
    print(
        f"cart reads / health: {cart_read.rate / health.rate:.2f} (aim >= 0.5); "
        f"checkout p99: {checkout.percentile(0.99):.1f} ms (aim < 100 ms); "
        f"median checkout latency {statistics.median(checkout.latencies) * 1000:.1f} ms"
    )
    return 0 if all(r.failures == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
