"""40 shoppers race for 7 units through a real server with two worker processes."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from shop.core.inventory.models import MovementReason, StockLevel, StockMovement
from shop.core.orders.models import Order
from tests.api.store import checkout_body, seed_store
from tests.factories import make_product
from tests.live_server import live_server

BUYERS = 40
UNITS = 7


@pytest.mark.slow
def test_forty_buyers_seven_units_two_processes(db_url: str, engine: Engine, tmp_path: Path) -> None:
    seed_store(engine)
    with Session(engine) as session, session.begin():
        variant_id = make_product(session, sku="RACE", price=1000, stock=UNITS).variants[0].id

    with live_server(database_url=db_url, store_dir=tmp_path, workers=2) as base, \
            httpx.Client(base_url=base, timeout=60) as setup:
        tokens = []
        for _ in range(BUYERS):
            token = setup.post("/api/v1/carts").json()["token"]
            assert setup.post(f"/api/v1/carts/{token}/lines", json={"sku": "RACE", "quantity": 1}).status_code == 201
            tokens.append(token)

        start = threading.Barrier(BUYERS)

        def buy(index: int) -> tuple[int, dict[str, object]]:
            with httpx.Client(base_url=base, timeout=60) as client:
                start.wait()
                answer = client.post("/api/v1/checkout", json=checkout_body(tokens[index]),
                                     headers={"Idempotency-Key": f"race-{index}"})
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
            select(StockMovement.reason, func.count(), func.sum(StockMovement.allocated_delta),
                   func.sum(StockMovement.delta), func.count(func.distinct(StockMovement.order_id)))
            .where(StockMovement.variant_id == variant_id).group_by(StockMovement.reason)
        ).all()
        assert [(reason, n, allocated, delta, orders) for reason, n, allocated, delta, orders in ledger] == [
            (MovementReason.ALLOCATED, UNITS, UNITS, 0, UNITS)]
        numbers = session.scalars(select(Order.number).order_by(Order.number)).all()
        assert len(set(numbers)) == UNITS


@pytest.mark.slow
def test_concurrent_retries_with_one_key_make_one_order(db_url: str, engine: Engine, tmp_path: Path) -> None:
    seed_store(engine)
    retries = 10
    with live_server(database_url=db_url, store_dir=tmp_path, workers=2) as base, \
            httpx.Client(base_url=base, timeout=60) as setup:
        token = setup.post("/api/v1/carts").json()["token"]
        setup.post(f"/api/v1/carts/{token}/lines", json={"sku": "TEE", "quantity": 2})
        start = threading.Barrier(retries)

        def retry(_index: int) -> tuple[int, dict[str, object]]:
            with httpx.Client(base_url=base, timeout=60) as client:
                start.wait()
                answer = client.post("/api/v1/checkout", json=checkout_body(token),
                                     headers={"Idempotency-Key": "double-click"})
                return answer.status_code, answer.json()

        with ThreadPoolExecutor(retries) as pool:
            results = list(pool.map(retry, range(retries)))

    assert {status for status, _ in results} == {201}, results
    assert len({body["order_number"] for _, body in results}) == 1
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1
        assert session.scalar(select(func.sum(StockMovement.allocated_delta))) == 2


@pytest.mark.slow
def test_one_cart_checked_out_twice_at_once_makes_one_order(db_url: str, engine: Engine, tmp_path: Path) -> None:
    """Two tabs, two keys, one cart; and a double-clicked "add to cart" before that."""
    seed_store(engine)
    tabs = 6
    with live_server(database_url=db_url, store_dir=tmp_path, workers=2) as base, \
            httpx.Client(base_url=base, timeout=60) as setup:
        token = setup.post("/api/v1/carts").json()["token"]
        start = threading.Barrier(tabs)

        def add(_index: int) -> int:
            with httpx.Client(base_url=base, timeout=60) as client:
                start.wait()
                return client.post(f"/api/v1/carts/{token}/lines", json={"sku": "TEE", "quantity": 1}).status_code

        def check_out(index: int) -> int:
            with httpx.Client(base_url=base, timeout=60) as client:
                start.wait()
                return client.post("/api/v1/checkout", json=checkout_body(token),
                                   headers={"Idempotency-Key": f"tab-{index}"}).status_code

        with ThreadPoolExecutor(tabs) as pool:
            added = list(pool.map(add, range(tabs)))
            lines = setup.get(f"/api/v1/carts/{token}").json()["lines"]
            placed = sorted(pool.map(check_out, range(tabs)))

    assert added == [201] * tabs
    assert [(line["sku"], line["quantity"]) for line in lines] == [("TEE", tabs)]
    assert placed == [201] + [404] * (tabs - 1)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Order)) == 1
