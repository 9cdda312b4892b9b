"""The checkout gate: at most `checkout_concurrency` checkout transactions per process, the
rest admitted in arrival order."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY, CollectorRegistry, Histogram
from sqlalchemy import Engine

from shop.api import checkout as checkout_route
from shop.api import create_app
from shop.api.admission import Gate
from shop.config import Settings
from tests.api.store import checkout_body, seed_store
from tests.api.test_carts import _add, _new_cart


def test_the_gate_admits_its_slots_at_once_in_arrival_order() -> None:
    gate = Gate(2)
    entered: list[int] = []
    inside = 0
    most = 0

    async def visitor(number: int) -> None:
        nonlocal inside, most
        async with gate:
            entered.append(number)
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    async def main() -> None:
        await asyncio.gather(*(visitor(number) for number in range(7)))

    asyncio.run(main())
    assert most == 2
    assert entered == list(range(7))
    # A later event loop (another test client, a reload) gets a gate of its own.
    asyncio.run(main())
    assert most == 2 and len(entered) == 14


def test_the_gate_records_how_long_each_entry_waited() -> None:
    registry = CollectorRegistry()
    waited = Histogram("waited_seconds", "wait", registry=registry, buckets=(0.02, 1.0))
    gate = Gate(1, waited)

    async def visitor() -> None:
        async with gate:
            await asyncio.sleep(0.05)

    async def main() -> None:
        await asyncio.gather(visitor(), visitor())

    asyncio.run(main())
    assert registry.get_sample_value("waited_seconds_count") == 2
    # The first went straight in; the second waited for the first's 50 ms.
    assert registry.get_sample_value("waited_seconds_bucket", {"le": "0.02"}) == 1
    assert (registry.get_sample_value("waited_seconds_sum") or 0) >= 0.04


def test_a_failure_inside_gives_the_place_back() -> None:
    gate = Gate(1)

    async def failing() -> None:
        async with gate:
            raise RuntimeError("refused")

    async def free() -> None:
        async with gate:
            pass

    async def main() -> None:
        with pytest.raises(RuntimeError):
            await failing()
        await asyncio.wait_for(free(), timeout=1)

    asyncio.run(main())


@pytest.mark.parametrize("slots", [1, 3])
def test_checkouts_run_no_more_than_the_configured_number_at_once(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch, slots: int
) -> None:
    seed_store(engine)
    app = create_app(settings.model_copy(update={"checkout_concurrency": slots, "rate_limits": {}}))
    with TestClient(app) as client:
        tokens = []
        for _ in range(4):
            token = _new_cart(client)
            assert _add(client, token, "TEE", 1).status_code == 201
            tokens.append(token)

    lock = threading.Lock()
    inside = 0
    most = 0
    opened = checkout_route._open

    def watched_open(*args: Any) -> Any:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        time.sleep(0.15)  # long enough for every request to arrive while this one runs
        with lock:
            inside -= 1
        return opened(*args)

    monkeypatch.setattr(checkout_route, "_open", watched_open)

    async def place_all() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as http:
            answers = await asyncio.gather(
                *(
                    http.post(
                        "/api/v1/checkout",
                        json=checkout_body(token),
                        headers={"Idempotency-Key": f"gate-{number}"},
                    )
                    for number, token in enumerate(tokens)
                )
            )
        return [answer.status_code for answer in answers]

    waits = REGISTRY.get_sample_value("shop_checkout_gate_wait_seconds_count") or 0
    assert asyncio.run(place_all()) == [201] * 4
    assert most == slots
    assert REGISTRY.get_sample_value("shop_checkout_gate_wait_seconds_count") == waits + 4
