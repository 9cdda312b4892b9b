"""40 shoppers race for 7 units through a real server with two worker processes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from shop.core.inventory.models import MovementReason, StockLevel, StockMovement
from shop.core.orders.models import Order
from tests.api.store import checkout_body, seed_store
from tests.factories import make_product
from tests.live_server import live_server

T = TypeVar("T")

BUYERS = 40
UNITS = 7


@pytest.mark.slow
def test_forty_buyers_seven_units_two_processes(db_url: str, engine: Engine, tmp_path: Path) -> None:
    seed_store(engine)
    with Session(engine) as session, session.begin():
        variant_id = make_product(session, sku="RACE", price=1000, stock=UNITS).variants[0].id

    with (
        live_server(database_url=db_url, store_dir=tmp_path, workers=2) as base,
        httpx.Client(base_url=base, timeout=60) as setup,
    ):
        tokens = []
        for _ in range(BUYERS):
            token = setup.post("/api/v1/carts").json()["token"]
            assert (
                setup.post(f"/api/v1/carts/{token}/lines", json={"sku": "RACE", "quantity": 1}).status_code
                == 201
            )
            tokens.append(token)

        start = threading.Barrier(BUYERS)

        def buy(index: int) -> tuple[int, dict[str, object]]:
            with httpx.Client(base_url=base, timeout=60) as client:
                start.wait()
                answer = client.post(
                    "/api/v1/checkout",
                    json=checkout_body(tokens[index]),
                    headers={"Idempotency-Key": f"race-{index}"},
                )
                return answer.status_code, answer.json()

        with ThreadPoolExecutor(BUYERS) as pool:
            results = list(pool.map(buy, range(BUYERS)))

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * UNITS + [409] * (BUYERS - UNITS), statuses
    refusals = [body for status, body in results if status == 409]
    assert all(body["shortages"] == [{"sku": "RACE", "requested": 1, "available": 0}] for body in refusals)

    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == UNITS
        level = session.scalars(select(StockLevel).where(StockLevel.variant_id == variant_id)).one()
        assert (level.on_hand, level.allocated) == (UNITS, UNITS)
        ledger = session.execute(
            select(
                StockMovement.reason,
                func.count(),
                func.sum(StockMovement.allocated_delta),
                func.sum(StockMovement.delta),
                func.count(func.distinct(StockMovement.order_id)),
            )
            .where(StockMovement.variant_id == variant_id)
            .group_by(StockMovement.reason)
        ).all()
        assert [(reason, n, allocated, delta, orders) for reason, n, allocated, delta, orders in ledger] == [
            (MovementReason.ALLOCATED, UNITS, UNITS, 0, UNITS)
        ]
        numbers = session.scalars(select(Order.number).order_by(Order.number)).all()
        assert len(set(numbers)) == UNITS


def _all_at_once(count: int, call: Callable[[int], T]) -> list[T]:
    start = threading.Barrier(count)

    def run(index: int) -> T:
        start.wait()
        return call(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.mark.slow
def test_double_clicks_and_second_tabs_make_one_order(db_url: str, engine: Engine, tmp_path: Path) -> None:
    """One server: a double-clicked "add to cart", retries with one Idempotency-Key, and two
    tabs checking out one cart with different keys; each makes exactly one thing."""
    seed_store(engine)
    n = 6
    with (
        live_server(database_url=db_url, store_dir=tmp_path, workers=2) as base,
        httpx.Client(base_url=base, timeout=60) as setup,
    ):

        def post(path: str, body: dict[str, object], key: str | None = None) -> httpx.Response:
            with httpx.Client(base_url=base, timeout=60) as client:
                return client.post(path, json=body, headers={"Idempotency-Key": key} if key else {})

        retried = setup.post("/api/v1/carts").json()["token"]
        tabs = setup.post("/api/v1/carts").json()["token"]
        setup.post(f"/api/v1/carts/{retried}/lines", json={"sku": "TEE", "quantity": 2})
        added = _all_at_once(
            n, lambda _: post(f"/api/v1/carts/{tabs}/lines", {"sku": "TEE", "quantity": 1}).status_code
        )
        lines = setup.get(f"/api/v1/carts/{tabs}").json()["lines"]
        retries = _all_at_once(n, lambda _: post("/api/v1/checkout", checkout_body(retried), "double-click"))
        tab_answers = _all_at_once(n, lambda i: post("/api/v1/checkout", checkout_body(tabs), f"tab-{i}"))

    assert added == [201] * n
    assert [(line["sku"], line["quantity"]) for line in lines] == [("TEE", n)]
    assert {answer.status_code for answer in retries} == {201}, [a.text for a in retries]
    assert len({answer.json()["order_number"] for answer in retries}) == 1
    assert sorted(answer.status_code for answer in tab_answers) == [201] + [404] * (n - 1)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 2
        assert session.scalar(select(func.sum(StockMovement.allocated_delta))) == 2 + n
