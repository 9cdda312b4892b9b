"""Stripe end to end: the real stripe library against a local stand-in, and webhooks signed as
Stripe signs them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from shop.api import create_app
from shop.config import Settings
from shop.core.audit.models import AuditLog
from shop.core.inventory.models import StockLevel, StockMovement
from shop.core.notifications.models import OutboxEvent
from shop.core.orders.models import Order, OrderStatus, PaymentStatus
from shop.core.orders.services import cancel_order, expire_unpaid_orders, refund_order
from shop.core.payments.models import Payment, PaymentState, Refund, RefundState
from shop.core.site.models import WebhookEvent
from tests.api.store import checkout_body, seed_store
from tests.stripe_standin import (
    API_KEY,
    WEBHOOK_SECRET,
    StripeStandIn,
    event,
    start_standin,
    stripe_signature,
)

Db = Callable[[], AbstractContextManager[Session]]
WEBHOOK = "/api/v1/webhooks/stripe"
US_ADDRESS = {"last_name": "Hopper", "line1": "1 Navy Way", "city": "Arlington", "country": "US"}


@pytest.fixture
def standin() -> Iterator[StripeStandIn]:
    standin, server = start_standin()
    yield standin
    server.shutdown()
    server.server_close()


@pytest.fixture
def stripe_settings(settings: Settings, standin: StripeStandIn) -> Settings:
    return settings.model_copy(
        update={
            "payment_provider": "stripe",
            "stripe_secret_key": API_KEY,
            "stripe_webhook_secret": WEBHOOK_SECRET,
            "stripe_api_base": standin.url,
        }
    )


@pytest.fixture
def client(stripe_settings: Settings, engine: Engine) -> Iterator[TestClient]:
    seed_store(engine)
    with TestClient(create_app(stripe_settings)) as client:
        yield client


def place(
    client: TestClient,
    *lines: tuple[str, int],
    key: str = "key-1",
    code: str | None = None,
    **body: Any,
) -> dict[str, Any]:
    token = client.post("/api/v1/carts").json()["token"]
    for sku, quantity in lines:
        assert (
            client.post(f"/api/v1/carts/{token}/lines", json={"sku": sku, "quantity": quantity}).status_code
            < 300
        )
    if code:
        assert client.post(f"/api/v1/carts/{token}/discount", json={"code": code}).status_code == 200
    answer = client.post(
        "/api/v1/checkout", json=checkout_body(token, **body), headers={"Idempotency-Key": key}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def deliver(client: TestClient, payload: str, signature: str | None = None) -> Any:
    headers = {
        "Content-Type": "application/json",
        "Stripe-Signature": signature if signature is not None else stripe_signature(payload),
    }
    return client.post(WEBHOOK, content=payload, headers=headers)


def completed(standin: StripeStandIn, session_id: str, **changes: Any) -> dict[str, Any]:
    paid = {
        **standin.sessions[session_id],
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": f"pi_{session_id[-6:]}",
    }
    return {**paid, **changes}


def order_state(db: Db, number: int) -> tuple[Order, Payment]:
    with db() as s:
        order = s.scalars(select(Order).where(Order.number == number)).one()
        payment = s.scalars(select(Payment).where(Payment.order_id == order.id)).one()
        return order, payment


def stock(db: Db, sku_variant: int) -> tuple[int, int]:
    with db() as s:
        level = s.scalars(select(StockLevel).where(StockLevel.variant_id == sku_variant)).one()
        return level.on_hand, level.allocated


def counts(db: Db) -> tuple[int, ...]:
    with db() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(model)) or 0
            for model in (WebhookEvent, StockMovement, AuditLog, OutboxEvent, Refund)
        )


# -- the checkout session ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "code", "address"),
    [
        ([("TEE", 1)], None, None),  # DE: VAT inside the prices, standard shipping
        ([("TEE", 3), ("MUG", 1)], "TENOFF", None),  # percent off each line, free shipping over 50
        ([("TEE", 3), ("MUG", 3)], "BIG", None),  # fixed off, shared across lines unevenly
        ([("TEE", 2), ("MUG", 1)], "TENOFF", US_ADDRESS),  # US: tax on top, express shipping
    ],
)
def test_the_stripe_session_charges_exactly_the_order_total(
    client: TestClient,
    standin: StripeStandIn,
    stripe_settings: Settings,
    lines: list[tuple[str, int]],
    code: str | None,
    address: dict[str, str] | None,
) -> None:
    extra = {"shipping_address": address, "shipping_method": "express"} if address else {}
    placed = place(client, *lines, code=code, **extra)
    assert placed["payment"]["provider"] == "stripe"
    (request,) = standin.posts("/v1/checkout/sessions")
    session = standin.sessions[placed["payment"]["redirect_url"].rsplit("/", 1)[1]]
    # What Stripe computes from what we sent is the order's total, to the cent.
    assert session["amount_total"] == placed["total"]
    order = client.get(
        f"/api/v1/orders/{placed['order_number']}", params={"token": placed["order_token"]}
    ).json()
    assert order["total"] == placed["total"]
    params = request.params
    shipping = sum(
        int(o["shipping_rate_data"]["fixed_amount"]["amount"]) for o in params.get("shipping_options", [])
    )
    assert shipping == order["shipping"]
    assert {i["price_data"]["currency"] for i in params["line_items"]} == {"eur"}
    if address:
        assert params["line_items"][-1]["price_data"]["product_data"]["name"] == "Tax"
        assert int(params["line_items"][-1]["price_data"]["unit_amount"]) == order["tax"] > 0
    assert params["mode"] == "payment"
    assert params["metadata"] == {
        "order_id": params["client_reference_id"],
        "order_number": str(placed["order_number"]),
    }
    assert params["payment_intent_data"]["metadata"] == params["metadata"]
    number, token = placed["order_number"], placed["order_token"]
    page = f"{stripe_settings.site_url}/order/?number={number}&token={token}"
    assert params["success_url"] == page + "&session_id={CHECKOUT_SESSION_ID}"
    assert params["cancel_url"] == page + "&cancelled=1"
    assert params["customer_email"] == "ada@example.com"
    assert request.idempotency_key is not None and request.idempotency_key.endswith("checkout-key-1")


def test_a_replayed_checkout_makes_no_second_stripe_session(
    client: TestClient, standin: StripeStandIn
) -> None:
    token = client.post("/api/v1/carts").json()["token"]
    client.post(f"/api/v1/carts/{token}/lines", json={"sku": "TEE", "quantity": 1})
    answers = [
        client.post("/api/v1/checkout", json=checkout_body(token), headers={"Idempotency-Key": "same"})
        for _ in range(2)
    ]
    assert answers[0].json() == answers[1].json()
    assert len(standin.posts("/v1/checkout/sessions")) == 1


def _no_open_order_and_no_allocation(db: Db) -> None:
    """A refused checkout: its order (committed before Stripe was asked) is released at once."""
    with db() as s:
        order = s.scalars(select(Order)).one()
        assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.FAILED)
        assert s.scalar(select(func.sum(StockLevel.allocated))) == 0
        assert s.scalar(select(func.count()).select_from(Payment)) == 0


def test_stripe_refusing_the_session_leaves_no_open_order_and_no_allocation(
    client: TestClient, standin: StripeStandIn, db: Db, engine: Engine
) -> None:
    standin.fail_next = (
        400,
        {"error": {"type": "invalid_request_error", "message": "Invalid currency"}},
    )
    token = client.post("/api/v1/carts").json()["token"]
    client.post(f"/api/v1/carts/{token}/lines", json={"sku": "MUG", "quantity": 2})
    placed = REGISTRY.get_sample_value("shop_orders_placed_total") or 0
    answer = client.post("/api/v1/checkout", json=checkout_body(token), headers={"Idempotency-Key": "k"})
    assert answer.status_code == 502
    assert answer.headers["content-type"] == "application/problem+json"
    assert "Invalid currency" in answer.json()["detail"]
    _no_open_order_and_no_allocation(db)
    assert (REGISTRY.get_sample_value("shop_orders_placed_total") or 0) == placed  # not an order
    # The cart is open again and the key forgotten: the same request now goes through.
    again = client.post("/api/v1/checkout", json=checkout_body(token), headers={"Idempotency-Key": "k"})
    assert again.status_code == 201, again.text
    assert REGISTRY.get_sample_value("shop_orders_placed_total") == placed + 1
    with db() as s:
        assert s.scalar(select(func.sum(StockLevel.allocated))) == 2
        assert s.scalar(select(func.count()).select_from(Payment)) == 1


def test_a_stripe_total_that_differs_from_ours_is_refused(
    client: TestClient, standin: StripeStandIn, db: Db
) -> None:
    standin.skew = 1
    token = client.post("/api/v1/carts").json()["token"]
    client.post(f"/api/v1/carts/{token}/lines", json={"sku": "TEE", "quantity": 1})
    answer = client.post("/api/v1/checkout", json=checkout_body(token), headers={"Idempotency-Key": "k"})
    assert answer.status_code == 502 and "not sending the shopper there" in answer.json()["detail"]
    _no_open_order_and_no_allocation(db)


def test_a_checkout_stripe_did_not_answer_is_finished_by_its_retry(
    client: TestClient, standin: StripeStandIn, db: Db
) -> None:
    standin.unreachable = 3  # the stripe client's own try and both of its retries
    token = client.post("/api/v1/carts").json()["token"]
    client.post(f"/api/v1/carts/{token}/lines", json={"sku": "MUG", "quantity": 2})
    body = checkout_body(token)
    first = client.post("/api/v1/checkout", json=body, headers={"Idempotency-Key": "k"})
    assert first.status_code == 502 and first.json()["type"].endswith("payment-provider-unreachable")
    with db() as s:
        # The order was committed before Stripe was asked: it waits, holding its stock.
        assert s.scalars(select(Order)).one().status == OrderStatus.PENDING_PAYMENT
        assert s.scalar(select(func.sum(StockLevel.allocated))) == 2
        assert s.scalar(select(func.count()).select_from(Payment)) == 0
    other = client.post(
        "/api/v1/checkout", json={**body, "email": "else@example.com"}, headers={"Idempotency-Key": "k"}
    )
    assert other.status_code == 422
    second = client.post("/api/v1/checkout", json=body, headers={"Idempotency-Key": "k"})
    assert second.status_code == 201, second.text
    third = client.post("/api/v1/checkout", json=body, headers={"Idempotency-Key": "k"})
    assert third.json() == second.json() and third.headers["Idempotent-Replayed"] == "true"
    with db() as s:
        order = s.scalars(select(Order)).one()
        payment = s.scalars(select(Payment)).one()
        assert second.json()["order_number"] == order.number
        assert payment.redirect_url == second.json()["payment"]["redirect_url"]
        assert s.scalar(select(func.sum(StockLevel.allocated))) == 2
    # Every attempt carried the same key, and Stripe opened one session.
    assert len({r.idempotency_key for r in standin.posts("/v1/checkout/sessions")}) == 1
    assert len(standin.sessions) == 1


def test_a_session_stripe_made_but_whose_answer_was_lost_is_found_by_the_retry(
    client: TestClient, standin: StripeStandIn, db: Db
) -> None:
    standin.lose_answers = 3  # Stripe opens the session; its answer never arrives, thrice
    token = client.post("/api/v1/carts").json()["token"]
    client.post(f"/api/v1/carts/{token}/lines", json={"sku": "MUG", "quantity": 1})
    body = checkout_body(token)
    first = client.post("/api/v1/checkout", json=body, headers={"Idempotency-Key": "k"})
    assert first.status_code == 502 and len(standin.sessions) == 1
    time.sleep(1.1)  # the shopper retries a little later: the session's parameters must not move
    second = client.post("/api/v1/checkout", json=body, headers={"Idempotency-Key": "k"})
    assert second.status_code == 201, second.text
    assert len(standin.sessions) == 1
    assert _session_id(second.json()) == next(iter(standin.sessions))
    with db() as s:
        assert s.scalars(select(Order)).one().status == OrderStatus.PENDING_PAYMENT
        assert s.scalar(select(func.count()).select_from(Payment)) == 1


def test_an_unfinished_checkout_is_released_by_the_reaper_and_its_retry_refused(
    client: TestClient, standin: StripeStandIn, db: Db
) -> None:
    standin.unreachable = 3
    token = client.post("/api/v1/carts").json()["token"]
    client.post(f"/api/v1/carts/{token}/lines", json={"sku": "MUG", "quantity": 2})
    body = checkout_body(token)
    assert client.post("/api/v1/checkout", json=body, headers={"Idempotency-Key": "k"}).status_code == 502
    with db() as s:
        order = s.scalars(select(Order)).one()
        assert order.expires_at is not None
        assert expire_unpaid_orders(s, now=order.expires_at) == 1
    with db() as s:
        assert s.scalar(select(func.sum(StockLevel.allocated))) == 0
    late = client.post("/api/v1/checkout", json=body, headers={"Idempotency-Key": "k"})
    assert late.status_code == 409 and late.json()["type"].endswith("order-released")
    assert len(standin.sessions) == 0


# -- webhooks ---------------------------------------------------------------------------


def _session_id(placed: dict[str, Any]) -> str:
    return str(placed["payment"]["redirect_url"].rsplit("/", 1)[1])


def test_checkout_session_completed_marks_the_order_paid_once(
    client: TestClient, standin: StripeStandIn, db: Db
) -> None:
    placed = place(client, ("MUG", 2))
    with db() as s:
        order = s.scalars(select(Order).where(Order.number == placed["order_number"])).one()
        variant = order.lines[0].variant_id
    assert stock(db, variant) == (3, 2)
    payload = event(
        "checkout.session.completed", completed(standin, _session_id(placed)), event_id="evt_paid"
    )
    answer = deliver(client, payload)
    assert answer.status_code == 200 and answer.json() == {"received": True, "outcome": "paid"}
    order, payment = order_state(db, placed["order_number"])
    assert (order.status, order.payment_status) == (OrderStatus.OPEN, PaymentStatus.PAID)
    assert payment.status == PaymentState.SUCCEEDED and payment.provider_payment_id.startswith("pi_")
    assert stock(db, variant) == (1, 0)
    with db() as s:
        mails = s.scalars(select(OutboxEvent).where(OutboxEvent.topic == "email.order_confirmation")).all()
    assert [m.payload["order_number"] for m in mails] == [placed["order_number"]]

    before = counts(db)
    replay = deliver(client, payload)
    assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
    assert counts(db) == before and stock(db, variant) == (1, 0)


def test_a_bad_signature_is_400_and_changes_nothing(
    client: TestClient, standin: StripeStandIn, db: Db
) -> None:
    placed = place(client, ("TEE", 1))
    payload = event("checkout.session.completed", completed(standin, _session_id(placed)))
    before = counts(db)
    forged = stripe_signature(payload, "whsec_someone_else")
    stale = stripe_signature(payload, timestamp=1_000_000_000)
    tampered_payload = payload.replace('"paid"', '"paid" ')
    for answer in (
        deliver(client, payload, forged),
        deliver(client, payload, stale),
        deliver(client, payload, ""),
        deliver(client, tampered_payload, stripe_signature(payload)),
        client.post(WEBHOOK, content=payload),
    ):
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["type"].endswith("/invalid-signature")
    assert counts(db) == before
    order, _ = order_state(db, placed["order_number"])
    assert order.payment_status == PaymentStatus.PENDING


def test_a_signed_body_that_is_not_an_event_is_422(client: TestClient) -> None:
    payload = json.dumps({"hello": "world"})
    answer = deliver(client, payload)
    assert answer.status_code == 422 and answer.json()["field"] == "body"


def test_checkout_session_expired_releases_the_stock(
    client: TestClient, standin: StripeStandIn, db: Db
) -> None:
    placed = place(client, ("MUG", 3))
    session = {**standin.sessions[_session_id(placed)], "status": "expired"}
    answer = deliver(client, event("checkout.session.expired", session))
    assert answer.json()["outcome"] == "released"
    order, payment = order_state(db, placed["order_number"])
    assert order.status == OrderStatus.CANCELLED and payment.status == PaymentState.EXPIRED
    with db() as s:
        assert s.scalar(select(func.sum(StockLevel.allocated))) == 0
    # Late or repeated news about a settled order changes nothing.
    again = deliver(client, event("checkout.session.expired", session))
    assert again.json()["outcome"] == "no_change"


def test_an_event_for_an_unknown_order_is_200_and_changes_nothing(
    client: TestClient, standin: StripeStandIn, db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    placed = place(client, ("TEE", 1))
    known = completed(standin, _session_id(placed))
    before = counts(db)
    strangers = [
        {
            **known,
            "metadata": {"order_id": "999999", "order_number": "999999"},
            "client_reference_id": None,
        },
        {**known, "id": "cs_test_from_another_shop"},
        {**known, "metadata": {}, "client_reference_id": None},
    ]
    for obj in strangers:
        answer = deliver(client, event("checkout.session.completed", obj))
        assert answer.status_code == 200 and answer.json()["outcome"] == "unknown_order"
    charge = deliver(
        client,
        event("charge.refunded", {"id": "ch_x", "object": "charge", "payment_intent": "pi_nobody"}),
    )
    assert charge.json()["outcome"] == "unknown_order"
    assert counts(db) == before
    assert order_state(db, placed["order_number"])[0].payment_status == PaymentStatus.PENDING
    assert "ignored" in caplog.text
    assert deliver(client, event("customer.created", {"id": "cus_1"})).json()["outcome"] == "ignored"


def test_a_paid_amount_that_differs_is_not_marked_paid(
    client: TestClient, standin: StripeStandIn, db: Db
) -> None:
    placed = place(client, ("TEE", 1))
    session = completed(standin, _session_id(placed))
    for wrong in ({"amount_total": placed["total"] - 1}, {"currency": "usd"}):
        answer = deliver(client, event("checkout.session.completed", {**session, **wrong}))
        assert answer.json()["outcome"] == "amount_mismatch"
    order, payment = order_state(db, placed["order_number"])
    assert order.payment_status == PaymentStatus.PENDING
    assert payment.details["mismatch"] == {"amount": placed["total"], "currency": "USD"}


def test_a_failed_payment_is_counted_and_the_session_stays_open(
    client: TestClient, standin: StripeStandIn, db: Db
) -> None:
    placed = place(client, ("TEE", 1))
    metadata = standin.sessions[_session_id(placed)]["metadata"]
    before = REGISTRY.get_sample_value("shop_payments_failed_total") or 0
    intent = {
        "id": "pi_declined",
        "object": "payment_intent",
        "metadata": metadata,
        "last_payment_error": {"code": "card_declined", "message": "Your card was declined."},
    }
    answer = deliver(client, event("payment_intent.payment_failed", intent))
    assert answer.json()["outcome"] == "payment_failed"
    assert REGISTRY.get_sample_value("shop_payments_failed_total") == before + 1
    order, payment = order_state(db, placed["order_number"])
    assert order.status == OrderStatus.PENDING_PAYMENT and payment.status == PaymentState.PENDING
    assert payment.details["failed_attempts"] == 1
    assert payment.details["last_failure"] == "Your card was declined."
    # A delayed payment method that finally fails gives the stock back.
    session = {
        **standin.sessions[_session_id(placed)],
        "status": "complete",
        "payment_status": "unpaid",
    }
    assert (
        deliver(client, event("checkout.session.completed", session)).json()["outcome"] == "awaiting_payment"
    )
    assert (
        deliver(client, event("checkout.session.async_payment_failed", session)).json()["outcome"]
        == "payment_failed"
    )
    order, payment = order_state(db, placed["order_number"])
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.FAILED)


def test_refunds_go_through_stripe_and_charge_refunded_records_each_once(
    client: TestClient, standin: StripeStandIn, stripe_settings: Settings, db: Db
) -> None:
    placed = place(client, ("TEE", 2))
    session = completed(standin, _session_id(placed))
    deliver(client, event("checkout.session.completed", session))
    intent = session["payment_intent"]
    with db() as s:
        order = s.scalars(select(Order).where(Order.number == placed["order_number"])).one()
        ours = refund_order(
            s,
            order,
            amount=1000,
            reason="scratched",
            actor="owner@shop.test",
            settings=stripe_settings,
        )
    (request,) = standin.posts("/v1/refunds")
    assert request.params["payment_intent"] == intent and request.params["amount"] == "1000"
    assert request.idempotency_key and request.idempotency_key.endswith(f"refund-{placed['order_number']}-1")
    assert ours.status == RefundState.SUCCEEDED and ours.provider_reference == standin.refunds[0]["id"]

    charge = {
        "id": f"ch_{intent.removeprefix('pi_')}",
        "object": "charge",
        "payment_intent": intent,
        "amount": placed["total"],
        "amount_refunded": 1000,
        "refunded": False,
    }
    # Our own refund, reported back: already known.
    assert deliver(client, event("charge.refunded", charge)).json()["outcome"] == "no_change"
    # One made in Stripe's dashboard: recorded, and the order is refunded in full.
    standin.add_refund(payment_intent=intent, amount=placed["total"] - 1000, charge=charge["id"])
    payload = event("charge.refunded", {**charge, "amount_refunded": placed["total"], "refunded": True})
    assert deliver(client, payload).json()["outcome"] == "refunded"
    assert deliver(client, payload).json()["outcome"] == "duplicate"
    with db() as s:
        refunds = s.scalars(select(Refund).order_by(Refund.id)).all()
        order = s.scalars(select(Order).where(Order.number == placed["order_number"])).one()
    assert [r.amount for r in refunds] == [1000, placed["total"] - 1000]
    assert order.payment_status == PaymentStatus.REFUNDED


def test_a_payment_after_release_with_the_stock_gone_is_refunded(
    client: TestClient, standin: StripeStandIn, db: Db
) -> None:
    placed = place(client, ("MUG", 3), key="first")
    with db() as s:
        for order in s.scalars(select(Order)):
            order.expires_at = order.placed_at
        s.flush()
        assert expire_unpaid_orders(s, now=order.placed_at) == 1
    place(client, ("MUG", 3), key="second")  # someone else buys the same three mugs
    answer = deliver(client, event("checkout.session.completed", completed(standin, _session_id(placed))))
    assert answer.json()["outcome"] == "late_payment_refunded"
    (refund,) = standin.posts("/v1/refunds")
    assert int(refund.params["amount"]) == placed["total"]
    order, _payment = order_state(db, placed["order_number"])
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.REFUNDED)


def test_webhooks_answer_503_when_stripe_is_not_configured(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        payload = event("checkout.session.completed", {"id": "cs_1"})
        answer = deliver(client, payload)
    assert answer.status_code == 503 and answer.json()["field"] == "stripe_secret_key"


def test_a_payment_for_an_order_the_merchant_cancelled_is_refunded(
    client: TestClient, standin: StripeStandIn, stripe_settings: Settings, db: Db
) -> None:
    placed = place(client, ("MUG", 1))
    with db() as s:
        order = s.scalars(select(Order).where(Order.number == placed["order_number"])).one()
        cancel_order(s, order, reason="customer called", actor="owner@shop.test", settings=stripe_settings)
    session = completed(standin, _session_id(placed))
    answer = deliver(client, event("checkout.session.completed", session))
    assert answer.json()["outcome"] == "cancelled_order_refunded"
    (refund,) = standin.posts("/v1/refunds")
    assert refund.params["payment_intent"] == session["payment_intent"]
    assert int(refund.params["amount"]) == placed["total"]
    order, _payment = order_state(db, placed["order_number"])
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.REFUNDED)
    with db() as s:
        assert s.scalar(select(func.sum(StockLevel.allocated))) == 0


def test_a_released_order_can_no_longer_be_paid_at_stripe(
    client: TestClient, standin: StripeStandIn, stripe_settings: Settings, engine: Engine, db: Db
) -> None:
    from datetime import timedelta

    from shop.core.db import utcnow
    from shop.core.notifications.worker import OutboxWorker

    placed = place(client, ("MUG", 1))
    session_id = _session_id(placed)
    with db() as s:
        assert expire_unpaid_orders(s, now=utcnow() + timedelta(hours=1)) == 1
    assert standin.sessions[session_id]["status"] == "open"  # nothing left the transaction

    stats = OutboxWorker(stripe_settings, engine).run_batch()
    assert stats.delivered >= 1 and stats.failed == 0
    assert [r.path for r in standin.requests if r.path.endswith("/expire")] == [
        f"/v1/checkout/sessions/{session_id}/expire"
    ]
    assert standin.sessions[session_id]["status"] == "expired"
    # Closing a page that is already closed is not an error (e.g. a retried delivery).
    from shop.core.payments.registry import get_provider

    get_provider("stripe", stripe_settings).cancel_payment(session_id)


def test_a_session_expired_event_does_not_ask_stripe_to_expire_it_again(
    client: TestClient, standin: StripeStandIn, db: Db
) -> None:
    placed = place(client, ("MUG", 1))
    session = {**standin.sessions[_session_id(placed)], "status": "expired"}
    assert deliver(client, event("checkout.session.expired", session)).json()["outcome"] == "released"
    with db() as s:
        assert s.scalar(select(func.count()).where(OutboxEvent.topic == "payment.cancel")) == 0
