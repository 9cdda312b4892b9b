"""Accounts meet checkout: a signed-out cart follows the shopper into their account, and
orders placed signed in show in their history; checkout counts into the metrics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import Engine

from shop.api import create_app
from shop.config import Settings
from tests.api.store import checkout_body, seed_store
from tests.api.test_auth import PASSWORD, bearer, sign_in


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    seed_store(engine)
    with TestClient(create_app(settings)) as client:
        yield client


def _cart(client: TestClient, sku: str, quantity: int, headers: dict[str, str] | None = None) -> str:
    token = str(client.post("/api/v1/carts", headers=headers or {}).json()["token"])
    answer = client.post(f"/api/v1/carts/{token}/lines", json={"sku": sku, "quantity": quantity})
    assert answer.status_code < 300, answer.text
    return token


def _checkout(client: TestClient, token: str, key: str, headers: dict[str, str] | None = None) -> Any:
    return client.post(
        "/api/v1/checkout",
        json=checkout_body(token),
        headers={"Idempotency-Key": key, **(headers or {})},
    )


def _sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def test_a_signed_out_cart_becomes_the_accounts_and_its_order_is_in_the_history(
    client: TestClient,
) -> None:
    assert (
        client.post(
            "/api/v1/auth/register", json={"email": "ann@example.com", "password": PASSWORD}
        ).status_code
        == 201
    )
    cart = _cart(client, "TEE", 1)  # browsing signed out
    signed_in = sign_in(client, "ann@example.com", cart_token=cart)
    assert signed_in["cart_token"] == cart
    # The checkout itself carries no token: the cart already belongs to the account.
    placed = _checkout(client, cart, "k1")
    assert placed.status_code == 201, placed.text
    # A second order, from a cart made while signed in, with the token on the checkout.
    auth = bearer(signed_in["access_token"])
    second = _checkout(client, _cart(client, "MUG", 1), "k2", auth)
    assert second.status_code == 201
    history = client.get("/api/v1/me/orders", headers=auth).json()
    assert [o["number"] for o in history["items"]] == [
        second.json()["order_number"],
        placed.json()["order_number"],
    ]
    assert history["items"][1]["total"] == placed.json()["total"]
    # A guest's checkout with the same e-mail is not added to the account.
    _checkout(client, _cart(client, "TEE", 1), "k3")
    assert client.get("/api/v1/me/orders", headers=auth).json()["total"] == 2


def test_checkout_with_a_bad_token_is_refused_not_silently_anonymous(client: TestClient) -> None:
    answer = _checkout(client, _cart(client, "TEE", 1), "k", bearer("expired.or.forged"))
    assert answer.status_code == 401


def test_checkout_counts_orders_placed_and_stock_conflicts(client: TestClient) -> None:
    placed, conflicts = (
        _sample("shop_orders_placed_total"),
        _sample("shop_stock_allocation_conflicts_total"),
    )
    short = _cart(client, "MUG", 1)
    # Someone else takes the last mugs between adding to the cart and checking out.
    assert _checkout(client, _cart(client, "MUG", 3), "a").status_code == 201
    answer = _checkout(client, short, "b")
    assert answer.status_code == 409, answer.text
    assert _sample("shop_orders_placed_total") == placed + 1
    assert _sample("shop_stock_allocation_conflicts_total") == conflicts + 1
