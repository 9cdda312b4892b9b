from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from shop.api import create_app
from shop.config import Settings
from shop.core.audit.models import AuditLog
from shop.core.carts.models import Cart
from shop.core.catalog.models import Product, ProductStatus, Variant
from shop.core.inventory.allocation import available_quantities
from shop.core.inventory.models import Location, MovementReason, StockMovement
from shop.core.orders.models import Order, OrderStatus
from shop.core.payments.models import Payment, PaymentState
from shop.core.site.models import IdempotencyKey
from tests.api.store import ADDRESS, Seeded, checkout_body, seed_store
from tests.api.test_carts import _add, _new_cart, _problem


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    return seed_store(engine)


@pytest.fixture
def client(settings: Settings, seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def _checkout(client: TestClient, body: dict[str, Any], key: str = "key-1") -> Any:
    return client.post("/api/v1/checkout", json=body, headers={"Idempotency-Key": key})


def _cart_with(client: TestClient, *items: tuple[str, int]) -> str:
    token = _new_cart(client)
    for sku, quantity in items:
        assert _add(client, token, sku, quantity).status_code == 201
    return token


def _count(engine: Engine, model: Any) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_checkout_places_a_pending_order_with_stock_allocated(
    client: TestClient, engine: Engine, seeded: Seeded
) -> None:
    token = _cart_with(client, ("TEE", 2), ("MUG", 1))
    cart_total = client.get(f"/api/v1/carts/{token}").json()["total"]
    answer = _checkout(client, checkout_body(token, customer_note="ring twice"))
    assert answer.status_code == 201, answer.text
    placed = answer.json()
    assert placed["status"] == "pending_payment" and placed["total"] == cart_total == 5500
    assert placed["currency"] == "EUR" and placed["order_number"] >= 1001
    assert placed["payment"]["provider"] == "manual"
    assert placed["payment"]["redirect_url"].startswith("http://shop.test/order/?number=")
    with Session(engine) as session:
        order = session.scalars(select(Order)).one()
        assert order.token == placed["order_token"] and order.email == "ada@example.com"
        assert order.expires_at is not None and order.customer_note == "ring twice"
        assert [(line.sku, line.quantity, line.line_total) for line in order.lines] == [
            ("TEE", 2, 4000),
            ("MUG", 1, 1500),
        ]
        assert order.tax_total == sum(line.tax_total for line in order.lines) + 0
        # Every column of what checkout writes beside the order (one statement on PostgreSQL).
        tee = order.lines[0]
        assert (tee.variant_id, tee.product_id, tee.unit_price, tee.discount_total) == (
            seeded.variant_ids["TEE"],
            session.get(Variant, seeded.variant_ids["TEE"]).product_id,  # type: ignore[union-attr]
            2000,
            0,
        )
        assert tee.title == "Tee" and tee.tax_total > 0 and tee.requires_shipping and tee.taxable
        assert tee.quantity_fulfilled == 0 and tee.variant_title == ""
        payment = session.scalars(select(Payment)).one()
        assert (payment.order_id, payment.provider, payment.amount, payment.currency) == (
            order.id,
            "manual",
            5500,
            "EUR",
        )
        assert payment.status == PaymentState.PENDING and payment.provider_payment_id is None
        assert payment.redirect_url == placed["payment"]["redirect_url"]
        assert payment.details == {"idempotency_key": "checkout-key-1"}
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "place")).one()
        assert (entry.actor, entry.object_type, entry.object_id) == (
            "ada@example.com",
            "order",
            str(order.number),
        )
        assert entry.changes == {"total": 5500, "currency": "EUR", "lines": 2, "provider": "manual"}
        cart = session.scalars(select(Cart).where(Cart.token == token)).one()
        assert cart.completed_at is not None and cart.email == "ada@example.com"
        key = session.scalars(select(IdempotencyKey)).one()
        assert (key.status_code, key.response) == (201, placed)
        assert available_quantities(session, [seeded.variant_ids["TEE"], seeded.variant_ids["MUG"]]) == {
            seeded.variant_ids["TEE"]: 8,
            seeded.variant_ids["MUG"]: 2,
        }
        ledger = session.scalars(select(StockMovement).order_by(StockMovement.variant_id)).all()
        assert [
            (m.variant_id, m.delta, m.allocated_delta, m.reason, m.reference, m.order_id, m.actor, m.note)
            for m in ledger
        ] == [
            (variant_id, 0, quantity, MovementReason.ALLOCATED, str(order.number), order.id, "checkout", "")
            for variant_id, quantity in sorted(
                [(seeded.variant_ids["TEE"], 2), (seeded.variant_ids["MUG"], 1)]
            )
        ]
        location_id = session.scalars(select(Location.id)).one()
        assert all(m.location_id == location_id and m.created_at is not None for m in ledger)
    _problem(client.get(f"/api/v1/carts/{token}"), 404, "token")  # the cart is closed


def test_the_same_key_and_body_answer_the_same_without_a_second_order(
    client: TestClient, engine: Engine
) -> None:
    token = _cart_with(client, ("TEE", 1))
    first = _checkout(client, checkout_body(token))
    again = _checkout(client, checkout_body(token))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert _count(engine, Order) == 1 and _count(engine, Payment) == 1
    other = _checkout(client, checkout_body(token, email="someone@example.com"))
    assert "different request body" in _problem(other, 422, "Idempotency-Key")["detail"]
    assert _count(engine, Order) == 1


def test_the_idempotency_key_is_required(client: TestClient) -> None:
    token = _cart_with(client, ("TEE", 1))
    answer = client.post("/api/v1/checkout", json=checkout_body(token))
    assert "idempotency" in _problem(answer, 422)["field"].lower()
    _problem(_checkout(client, checkout_body(token), key="x" * 300), 422)


def test_short_stock_names_each_sku_and_allocates_nothing(
    client: TestClient, engine: Engine, seeded: Seeded
) -> None:
    token = _cart_with(client, ("TEE", 9), ("MUG", 3))
    other = _cart_with(client, ("TEE", 2), ("MUG", 1))
    assert _checkout(client, checkout_body(other), key="other").status_code == 201
    body = _problem(_checkout(client, checkout_body(token)), 409, "lines")
    assert {(s["sku"], s["available"]) for s in body["shortages"]} == {("TEE", 8), ("MUG", 2)}
    assert "TEE" in body["detail"] and "MUG" in body["detail"]
    assert _count(engine, Order) == 1 and _count(engine, IdempotencyKey) == 1
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(StockMovement)) == 2
    # Nothing was kept for the refused key: the cart still works once it fits.
    line_id = client.get(f"/api/v1/carts/{token}").json()["lines"][0]["id"]
    client.patch(f"/api/v1/carts/{token}/lines/{line_id}", json={"quantity": 1})
    client.delete(
        f"/api/v1/carts/{token}/lines/{client.get(f'/api/v1/carts/{token}').json()['lines'][1]['id']}"
    )
    assert _checkout(client, checkout_body(token)).status_code == 201


def test_carts_that_cannot_be_checked_out(client: TestClient) -> None:
    _problem(_checkout(client, checkout_body("nope")), 404, "cart_token")
    empty = _new_cart(client)
    _problem(_checkout(client, checkout_body(empty)), 422, "cart_token")
    token = _cart_with(client, ("TEE", 1))
    _problem(
        _checkout(client, checkout_body(token, shipping_method="drone"), key="a"), 422, "shipping_method"
    )
    far = {**ADDRESS, "country": "JP"}
    express_only = checkout_body(token, shipping_address=far, shipping_method="standard")
    _problem(_checkout(client, express_only, key="b"), 422, "shipping_method")
    _problem(_checkout(client, checkout_body(token, total=1), key="c"), 422, "total")
    _problem(_checkout(client, checkout_body(token, email="nope"), key="d"), 422, "email")
    bad_address = {**ADDRESS, "country": "Deutschland"}
    _problem(
        _checkout(client, checkout_body(token, shipping_address=bad_address), key="e"),
        422,
        "shipping_address.country",
    )
    assert _checkout(client, checkout_body(token), key="f").status_code == 201


def test_backorders_and_unsellable_lines(client: TestClient, engine: Engine, seeded: Seeded) -> None:
    token = _cart_with(client, ("BACK", 4))
    assert _checkout(client, checkout_body(token)).status_code == 201
    with Session(engine) as session:
        assert available_quantities(session, [seeded.variant_ids["BACK"]]) == {seeded.variant_ids["BACK"]: -4}
    # A product archived after it went into a cart is refused at checkout, by SKU.
    token = _cart_with(client, ("MUG", 1))
    with Session(engine) as session, session.begin():
        session.execute(update(Product).where(Product.title == "Mug").values(status=ProductStatus.ARCHIVED))
    body = _problem(_checkout(client, checkout_body(token), key="archived"), 409, "lines")
    assert body["skus"] == ["MUG"]


def test_a_code_that_no_longer_applies_refuses_checkout(client: TestClient) -> None:
    token = _cart_with(client, ("TEE", 5))
    assert client.post(f"/api/v1/carts/{token}/discount", json={"code": "BIG"}).status_code == 200
    line_id = client.get(f"/api/v1/carts/{token}").json()["lines"][0]["id"]
    client.patch(f"/api/v1/carts/{token}/lines/{line_id}", json={"quantity": 1})
    _problem(_checkout(client, checkout_body(token)), 422, "discount_code")


def test_discounted_order_totals_match_the_cart(client: TestClient, engine: Engine) -> None:
    token = _cart_with(client, ("TEE", 1), ("MUG", 1))
    client.post(f"/api/v1/carts/{token}/discount", json={"code": "TENOFF"})
    client.patch(f"/api/v1/carts/{token}", json={"shipping_country": "US"})
    cart = client.get(f"/api/v1/carts/{token}").json()
    us = {**ADDRESS, "country": "US", "region": "NY"}
    placed = _checkout(client, checkout_body(token, shipping_address=us, shipping_method="express")).json()
    with Session(engine) as session:
        order = session.scalars(select(Order)).one()
        assert (order.subtotal, order.discount_total, order.shipping_total, order.tax_total, order.total) == (
            cart["subtotal"],
            cart["discount"],
            cart["shipping"],
            cart["tax"],
            cart["total"],
        )
        assert order.total == placed["total"] and order.discount_code == "TENOFF"
        assert order.status == OrderStatus.PENDING_PAYMENT


def test_checkout_is_rate_limited(settings: Settings, seeded: Seeded) -> None:
    limited = settings.model_copy(update={"rate_limits": {"checkout": "1/minute"}})
    with TestClient(create_app(limited)) as client:
        token = _cart_with(client, ("TEE", 1))
        assert _checkout(client, checkout_body(token)).status_code == 201
        _problem(_checkout(client, checkout_body(token)), 429)
