from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shop.api import create_app
from shop.config import Settings
from shop.core.orders.models import Order
from shop.core.orders.services import fulfil_order, mark_order_paid
from tests.api.store import checkout_body, seed_store
from tests.api.test_carts import _add, _new_cart, _problem


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    seed_store(engine)
    with TestClient(create_app(settings)) as client:
        yield client


def _place(client: TestClient) -> dict[str, Any]:
    token = _new_cart(client)
    _add(client, token, "TEE", 2)
    answer = client.post("/api/v1/checkout", json=checkout_body(token), headers={"Idempotency-Key": "k"})
    assert answer.status_code == 201
    return dict(answer.json())


def test_a_guest_sees_their_order_with_its_token(client: TestClient, engine: Engine) -> None:
    placed = _place(client)
    url = f"/api/v1/orders/{placed['order_number']}"
    answer = client.get(url, params={"token": placed["order_token"]})
    assert answer.status_code == 200
    order = answer.json()
    assert (order["number"], order["status"], order["payment_status"]) == (
        placed["order_number"],
        "pending_payment",
        "pending",
    )
    assert order["total"] == placed["total"] == 4000 + 490
    assert order["lines"][0]["sku"] == "TEE" and order["lines"][0]["quantity"] == 2
    assert order["payment"]["redirect_url"] and order["shipping_address"]["city"] == "Berlin"

    with Session(engine) as session, session.begin():
        row = session.scalars(select(Order)).one()
        mark_order_paid(session, row, amount=row.total, provider_reference=None, actor="admin@x")
        fulfil_order(session, row, lines=None, carrier="DHL", tracking_number="JD01", actor="admin@x")
    shipped = client.get(url, params={"token": placed["order_token"]}).json()
    assert (shipped["status"], shipped["payment_status"], shipped["fulfillment_status"]) == (
        "completed",
        "paid",
        "fulfilled",
    )
    assert shipped["shipments"][0]["tracking_number"] == "JD01" and shipped["payment"]["redirect_url"] is None


def test_wrong_or_missing_tokens_reveal_nothing(client: TestClient) -> None:
    placed = _place(client)
    wrong = _problem(client.get(f"/api/v1/orders/{placed['order_number']}", params={"token": "guess"}), 404)
    missing = _problem(client.get("/api/v1/orders/999999", params={"token": "guess"}), 404)
    assert wrong["type"] == missing["type"]
    assert wrong["detail"].replace(str(placed["order_number"]), "N") == missing["detail"].replace(
        "999999", "N"
    )
    _problem(client.get(f"/api/v1/orders/{placed['order_number']}"), 422, "token")
    _problem(client.get("/api/v1/orders/abc", params={"token": "x"}), 422, "order_number")
