from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from shop.api import create_app
from shop.config import Settings
from tests.api.store import checkout_body, seed_store
from tests.api.test_carts import _add, _new_cart, _problem


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    seed_store(engine)
    with TestClient(create_app(settings)) as client:
        yield client


def test_availability_reports_live_price_and_stock(client: TestClient) -> None:
    answer = client.get("/api/v1/availability", params={"skus": "TEE,MUG,BACK,DRAFT,NOPE,TEE"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["currency"] == "EUR" and body["unknown"] == ["DRAFT", "NOPE"]
    items = {item["sku"]: item for item in body["items"]}
    assert list(items) == ["TEE", "MUG", "BACK"]
    assert (items["TEE"]["price"], items["TEE"]["available"], items["TEE"]["in_stock"]) == (2000, 10, True)
    assert (items["BACK"]["available"], items["BACK"]["in_stock"], items["BACK"]["backorder"]) == (
        None,
        True,
        True,
    )

    token = _new_cart(client)
    _add(client, token, "MUG", 3)
    client.post("/api/v1/checkout", json=checkout_body(token), headers={"Idempotency-Key": "k"})
    mug = client.get("/api/v1/availability", params={"skus": "MUG"}).json()["items"][0]
    assert (mug["available"], mug["in_stock"]) == (0, False)


def test_availability_needs_skus(client: TestClient) -> None:
    _problem(client.get("/api/v1/availability"), 422, "skus")
    _problem(client.get("/api/v1/availability", params={"skus": " , "}), 422, "skus")
    _problem(
        client.get("/api/v1/availability", params={"skus": ",".join(f"S{i}" for i in range(101))}),
        422,
        "skus",
    )


def test_openapi_lists_the_commerce_paths_and_their_problems(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for path in [
        "/api/v1/availability",
        "/api/v1/carts",
        "/api/v1/carts/{token}",
        "/api/v1/carts/{token}/lines",
        "/api/v1/carts/{token}/lines/{line_id}",
        "/api/v1/carts/{token}/discount",
        "/api/v1/checkout",
        "/api/v1/orders/{order_number}",
    ]:
        assert path in spec["paths"], path
    checkout = spec["paths"]["/api/v1/checkout"]["post"]
    assert {"201", "409", "422", "429"} <= set(checkout["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in checkout["parameters"])
