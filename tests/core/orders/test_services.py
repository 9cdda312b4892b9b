from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.config import Settings
from shop.core.audit.models import AuditLog
from shop.core.db import utcnow
from shop.core.discounts.models import DiscountCode, DiscountKind, DiscountRedemption
from shop.core.errors import Conflict, InvalidInput
from shop.core.inventory.allocation import available_quantities
from shop.core.inventory.models import StockLevel
from shop.core.notifications.models import OutboxEvent
from shop.core.orders.models import FulfillmentStatus, Order, OrderStatus, PaymentStatus
from shop.core.orders.services import (
    REASON_PAYMENT_FAILED,
    cancel_order,
    expire_unpaid_orders,
    fulfil_order,
    mark_order_paid,
    record_provider_refund,
    refund_order,
    release_order,
    resend_confirmation,
)
from shop.core.payments.errors import ProviderUnavailable
from shop.core.payments.models import Payment, PaymentState, RefundState
from shop.core.payments.registry import get_provider
from tests.factories import make_product
from tests.order_factories import make_order


@pytest.fixture
def store_settings(tmp_path: Path) -> Settings:
    return Settings(dir=tmp_path, env="test", site_url="http://shop.test")


def _topics(session: Session) -> list[str]:
    return list(session.scalars(select(OutboxEvent.topic).order_by(OutboxEvent.id)))


def _actions(session: Session, order: Order) -> list[str]:
    return list(
        session.scalars(
            select(AuditLog.action)
            .where(AuditLog.object_type == "order", AuditLog.object_id == str(order.number))
            .order_by(AuditLog.id)
        )
    )


def _on_hand_allocated(session: Session, variant_id: int) -> tuple[int, int]:
    level = session.scalars(select(StockLevel).where(StockLevel.variant_id == variant_id)).one()
    session.refresh(level)
    return level.on_hand, level.allocated


def _paid_order(session: Session, quantity: int = 2, price: int = 1000, stock: int = 10) -> Order:
    product = make_product(session, stock=stock, price=price)
    order = make_order(session, [(product, quantity)])
    mark_order_paid(session, order, amount=order.total, provider_reference="ref-1", actor="admin@x")
    return order


def test_mark_paid_sells_counts_the_code_and_queues_mail_once(session: Session) -> None:
    session.add(DiscountCode(code="TEN", kind=DiscountKind.PERCENT, value=1000))
    product = make_product(session, stock=5)
    order = make_order(session, [(product, 2)], discount_code="TEN")
    variant_id = product.variants[0].id
    assert _on_hand_allocated(session, variant_id) == (5, 2)

    mark_order_paid(session, order, amount=order.total, provider_reference="pi_1", actor="stripe")
    mark_order_paid(session, order, amount=order.total, provider_reference="pi_1", actor="stripe")

    assert (order.status, order.payment_status) == (OrderStatus.OPEN, PaymentStatus.PAID)
    assert order.paid_at is not None and order.expires_at is None
    assert _on_hand_allocated(session, variant_id) == (3, 0)
    code = session.scalars(select(DiscountCode).where(DiscountCode.code == "TEN")).one()
    session.refresh(code)
    assert code.times_used == 1
    assert session.scalar(select(func.count()).select_from(DiscountRedemption)) == 1
    assert _topics(session) == ["email.order_confirmation"]
    assert _actions(session, order) == ["mark_paid"]
    payment = session.scalars(select(Payment).where(Payment.order_id == order.id)).one()
    assert (payment.status, payment.provider_payment_id) == (PaymentState.SUCCEEDED, "pi_1")


def test_mark_paid_refuses_a_wrong_amount(session: Session) -> None:
    order = make_order(session, [(make_product(session), 1)])
    with pytest.raises(InvalidInput) as caught:
        mark_order_paid(session, order, amount=order.total - 1, provider_reference=None, actor="x")
    assert caught.value.field == "amount"
    assert order.payment_status == PaymentStatus.PENDING


def test_release_gives_stock_back_once(session: Session) -> None:
    product = make_product(session, stock=3)
    order = make_order(session, [(product, 3)])
    release_order(session, order, reason=REASON_PAYMENT_FAILED, actor="stripe")
    release_order(session, order, reason=REASON_PAYMENT_FAILED, actor="stripe")
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.FAILED)
    assert available_quantities(session, [product.variants[0].id]) == {product.variants[0].id: 3}
    assert _actions(session, order) == ["release"]
    payment = session.scalars(select(Payment).where(Payment.order_id == order.id)).one()
    assert payment.status == PaymentState.FAILED


def test_release_refuses_a_paid_order(session: Session) -> None:
    order = _paid_order(session)
    with pytest.raises(Conflict):
        release_order(session, order, reason="expired", actor="system")


def test_expire_releases_only_overdue_unpaid_orders(session: Session) -> None:
    product = make_product(session, stock=10)
    overdue = make_order(session, [(product, 1)])
    overdue.expires_at = utcnow() - timedelta(minutes=1)
    fresh = make_order(session, [(product, 1)])
    paid = make_order(session, [(product, 1)])
    paid.expires_at = utcnow() - timedelta(minutes=1)
    mark_order_paid(session, paid, amount=paid.total, provider_reference=None, actor="x")
    session.flush()
    assert expire_unpaid_orders(session, now=utcnow()) == 1
    assert (overdue.status, overdue.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.VOIDED)
    assert fresh.status == OrderStatus.PENDING_PAYMENT
    assert paid.status == OrderStatus.OPEN
    assert expire_unpaid_orders(session, now=utcnow()) == 0


def test_payment_after_release_takes_the_stock_again(session: Session) -> None:
    product = make_product(session, stock=1)
    order = make_order(session, [(product, 1)])
    release_order(session, order, reason="expired", actor="system")
    mark_order_paid(session, order, amount=order.total, provider_reference=None, actor="stripe")
    assert (order.status, order.payment_status) == (OrderStatus.OPEN, PaymentStatus.PAID)
    assert _on_hand_allocated(session, product.variants[0].id) == (0, 0)


def test_cancel_unpaid_releases(session: Session, store_settings: Settings) -> None:
    product = make_product(session, stock=2)
    order = make_order(session, [(product, 2)])
    cancel_order(session, order, reason="customer asked", actor="admin@x", settings=store_settings)
    cancel_order(session, order, reason="customer asked", actor="admin@x", settings=store_settings)
    assert order.status == OrderStatus.CANCELLED and order.cancel_reason == "customer asked"
    assert _on_hand_allocated(session, product.variants[0].id) == (2, 0)
    assert _actions(session, order) == ["release", "cancel"]


def test_cancel_paid_returns_stock_and_refunds_the_rest(session: Session, store_settings: Settings) -> None:
    order = _paid_order(session, quantity=2, price=1500, stock=4)
    variant_id = order.lines[0].variant_id
    assert variant_id is not None
    refund_order(session, order, amount=1000, reason="scratch", actor="admin@x", settings=store_settings)
    cancel_order(session, order, reason="out of business", actor="admin@x", settings=store_settings)
    assert (order.status, order.payment_status) == (OrderStatus.CANCELLED, PaymentStatus.REFUNDED)
    assert _on_hand_allocated(session, variant_id) == (4, 0)
    payment = session.scalars(select(Payment).where(Payment.order_id == order.id)).one()
    assert [r.amount for r in payment.refunds] == [1000, 2000]
    assert all(r.status == RefundState.SUCCEEDED for r in payment.refunds)


def test_cancel_refuses_shipped_orders(session: Session, store_settings: Settings) -> None:
    order = _paid_order(session, quantity=2)
    fulfil_order(session, order, lines={order.lines[0].id: 1}, carrier="DHL", tracking_number="1", actor="x")
    with pytest.raises(Conflict):
        cancel_order(session, order, reason="", actor="x", settings=store_settings)


def test_refund_limits(session: Session, store_settings: Settings) -> None:
    order = _paid_order(session, quantity=1, price=5000)
    unpaid = make_order(session, [(make_product(session), 1)])
    with pytest.raises(Conflict):
        refund_order(session, unpaid, amount=None, reason="", actor="x", settings=store_settings)
    with pytest.raises(InvalidInput) as too_much:
        refund_order(session, order, amount=5001, reason="", actor="x", settings=store_settings)
    assert too_much.value.field == "amount" and too_much.value.extra["maximum"] == 5000
    with pytest.raises(InvalidInput):
        refund_order(session, order, amount=0, reason="", actor="x", settings=store_settings)
    first = refund_order(session, order, amount=2000, reason="dent", actor="x", settings=store_settings)
    assert first.amount == 2000 and order.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    with pytest.raises(InvalidInput) as again:
        refund_order(session, order, amount=3001, reason="", actor="x", settings=store_settings)
    assert "3000" in again.value.detail
    rest = refund_order(session, order, amount=None, reason="all", actor="x", settings=store_settings)
    assert rest.amount == 3000 and order.payment_status == PaymentStatus.REFUNDED
    with pytest.raises(Conflict):
        refund_order(session, order, amount=None, reason="", actor="x", settings=store_settings)
    assert _topics(session).count("email.refund") == 2
    assert _actions(session, order) == ["mark_paid", "refund", "refund"]


def test_provider_refunds_are_recorded_once(session: Session) -> None:
    order = _paid_order(session, quantity=1, price=4000)
    payment = session.scalars(select(Payment).where(Payment.order_id == order.id)).one()
    first = record_provider_refund(session, payment, amount=1500, provider_reference="re_1")
    again = record_provider_refund(session, payment, amount=1500, provider_reference="re_1")
    assert first is not None and first.status == RefundState.SUCCEEDED
    assert again is None
    assert order.payment_status == PaymentStatus.PARTIALLY_REFUNDED
    record_provider_refund(session, payment, amount=2500, provider_reference="re_2")
    assert order.payment_status == PaymentStatus.REFUNDED


def test_fulfil_in_parts_then_complete(session: Session) -> None:
    product_a = make_product(session, stock=10)
    product_b = make_product(session, stock=10)
    order = make_order(session, [(product_a, 3), (product_b, 1)])
    with pytest.raises(Conflict):
        fulfil_order(session, order, lines=None, carrier="DHL", tracking_number="1", actor="x")
    mark_order_paid(session, order, amount=order.total, provider_reference=None, actor="x")
    line_a, line_b = order.lines
    with pytest.raises(InvalidInput) as over:
        fulfil_order(session, order, lines={line_a.id: 4}, carrier="DHL", tracking_number="1", actor="x")
    assert over.value.field == f"lines.{line_a.id}"
    with pytest.raises(InvalidInput):
        fulfil_order(session, order, lines={999999: 1}, carrier="DHL", tracking_number="1", actor="x")
    first = fulfil_order(session, order, lines={line_a.id: 2}, carrier="DHL", tracking_number="T1", actor="x")
    assert [(fl.order_line_id, fl.quantity) for fl in first.lines] == [(line_a.id, 2)]
    assert (order.status, order.fulfillment_status) == (OrderStatus.OPEN, FulfillmentStatus.PARTIAL)
    second = fulfil_order(session, order, lines=None, carrier="UPS", tracking_number="T2", actor="x")
    assert sorted((fl.order_line_id, fl.quantity) for fl in second.lines) == [(line_a.id, 1), (line_b.id, 1)]
    assert (order.status, order.fulfillment_status) == (OrderStatus.COMPLETED, FulfillmentStatus.FULFILLED)
    assert _topics(session).count("email.shipping_confirmation") == 2
    with pytest.raises(Conflict):
        fulfil_order(session, order, lines=None, carrier="UPS", tracking_number="T3", actor="x")


def test_resend_confirmation_only_for_paid_orders(session: Session) -> None:
    unpaid = make_order(session, [(make_product(session), 1)])
    with pytest.raises(Conflict):
        resend_confirmation(session, unpaid, actor="x")
    order = _paid_order(session)
    resend_confirmation(session, order, actor="support@x")
    payloads = list(
        session.scalars(select(OutboxEvent.payload).where(OutboxEvent.topic == "email.order_confirmation"))
    )
    assert [p["resend"] for p in payloads] == [False, True]
    assert _actions(session, order)[-1] == "resend_confirmation"


def test_unknown_provider_is_a_clear_error(store_settings: Settings) -> None:
    assert get_provider("manual", store_settings).name == "manual"
    with pytest.raises(ProviderUnavailable) as caught:
        get_provider("paypal", store_settings)
    assert "paypal" in caught.value.detail and caught.value.status == 503


def test_a_payment_racing_a_release_takes_the_stock_again(session: Session) -> None:
    product = make_product(session, stock=2)
    order = make_order(session, [(product, 2)])
    # Another transaction (the expiry job) releases the order; our copy of it is now stale.
    other = Session(bind=session.connection(), autoflush=False)
    release_order(other, other.get(Order, order.id), reason="expired", actor="system")  # type: ignore[arg-type]
    other.flush()
    assert order.status == OrderStatus.PENDING_PAYMENT

    mark_order_paid(session, order, amount=order.total, provider_reference="pi_late", actor="stripe")

    assert (order.status, order.payment_status) == (OrderStatus.OPEN, PaymentStatus.PAID)
    assert _on_hand_allocated(session, product.variants[0].id) == (0, 0)


def test_fulfil_sees_what_another_transaction_shipped(session: Session) -> None:
    order = _paid_order(session, quantity=2)
    line_id = order.lines[0].id
    other = Session(bind=session.connection(), autoflush=False)
    theirs = other.get(Order, order.id)
    assert theirs is not None
    fulfil_order(other, theirs, lines={line_id: 1}, carrier="DHL", tracking_number="A", actor="anna")
    other.flush()
    assert order.lines[0].quantity_fulfilled == 0  # our copy is stale

    with pytest.raises(InvalidInput, match="only 1 of 2"):
        fulfil_order(session, order, lines={line_id: 2}, carrier="DHL", tracking_number="B", actor="ben")
    fulfil_order(session, order, lines=None, carrier="DHL", tracking_number="B", actor="ben")
    assert order.lines[0].quantity_fulfilled == 2 and order.status == OrderStatus.COMPLETED
