"""Order actions through the admin, on the order services: limits and stock included."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from shop.core.db import unit_of_work
from shop.core.inventory.models import StockLevel
from shop.core.notifications.models import OutboxEvent
from shop.core.orders.models import FulfillmentStatus, Order, OrderStatus, PaymentStatus
from shop.core.payments.models import Refund
from shop.core.staff.models import StaffRole
from tests.admin.conftest import AdminClient
from tests.factories import make_product
from tests.order_factories import make_order


@pytest.fixture
def order_ids(app: FastAPI) -> tuple[int, int]:
    """A pending manual order for 2 + 1 units (25.00 and 10.00), stock 5 each."""
    with unit_of_work(app.state.sessions) as session:
        tee = make_product(session, price=2500, stock=5)
        cap = make_product(session, price=1000, stock=5)
        order = make_order(session, [(tee, 2), (cap, 1)])
        return order.id, tee.variants[0].id


def _order(app: FastAPI, order_id: int) -> Order:
    with app.state.sessions() as session:
        order = session.get(Order, order_id)
        order.lines  # noqa: B018 - loaded before the session closes
        return order


def _paid(app: FastAPI, client: AdminClient, order_id: int) -> None:
    response = client.action(
        "/admin/order/action/mark-paid", order_id, {"amount": "60.00", "provider_reference": "bank"}
    )
    assert response.status_code == 302, response.text[-2000:]


def test_mark_paid_checks_the_amount_and_support_may_not(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient], order_ids: tuple[int, int]
) -> None:
    order_id, _ = order_ids
    assert as_role(StaffRole.SUPPORT).action("/admin/order/action/mark-paid", order_id).status_code == 403
    manager = as_role(StaffRole.MANAGER)
    page = manager.http.get(
        "/admin/order/action/mark-paid", params={"pks": order_id, "csrf_token": manager.csrf}
    )
    assert 'value="60.00"' in page.text  # prefilled with the order total
    wrong = manager.action("/admin/order/action/mark-paid", order_id, {"amount": "50.00"})
    assert wrong.status_code == 400
    _paid(app, manager, order_id)
    order = _order(app, order_id)
    assert (order.status, order.payment_status) == (OrderStatus.OPEN, PaymentStatus.PAID)


def test_refunds_never_exceed_what_was_paid(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient], order_ids: tuple[int, int]
) -> None:
    order_id, _ = order_ids
    _paid(app, as_role(StaffRole.MANAGER), order_id)
    support = as_role(StaffRole.SUPPORT)
    page = support.http.get(
        "/admin/order/action/refund", params={"pks": order_id, "csrf_token": support.csrf}
    )
    assert "Refundable now: 60.00 EUR" in page.text
    assert (
        support.action(
            "/admin/order/action/refund", order_id, {"amount": "15.50", "reason": "scratched"}
        ).status_code
        == 302
    )
    too_much = support.action("/admin/order/action/refund", order_id, {"amount": "44.51", "reason": "more"})
    assert too_much.status_code == 400 and "at most 4450" in too_much.text
    assert (
        support.action("/admin/order/action/refund", order_id, {"amount": "", "reason": "rest"}).status_code
        == 302
    )
    nothing_left = support.action(
        "/admin/order/action/refund", order_id, {"amount": "0.01", "reason": "again"}
    )
    assert nothing_left.status_code == 400
    with app.state.sessions() as session:
        assert session.scalars(select(Refund.amount).order_by(Refund.id)).all() == [1550, 4450]
    assert _order(app, order_id).payment_status is PaymentStatus.REFUNDED


def test_fulfil_chosen_lines_then_the_rest(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient], order_ids: tuple[int, int]
) -> None:
    order_id, _ = order_ids
    _paid(app, as_role(StaffRole.OWNER), order_id)
    support = as_role(StaffRole.SUPPORT)
    first, second = _order(app, order_id).lines
    partial = support.action(
        "/admin/order/action/fulfil",
        order_id,
        {"carrier": "DHL", "tracking_number": "00340434", f"line_{first.id}": "1", f"line_{second.id}": "0"},
    )
    assert partial.status_code == 302, partial.text[-2000:]
    assert _order(app, order_id).fulfillment_status is FulfillmentStatus.PARTIAL
    over = support.action("/admin/order/action/fulfil", order_id, {f"line_{first.id}": "2"})
    assert over.status_code == 400
    rest = support.action(
        "/admin/order/action/fulfil",
        order_id,
        {"carrier": "DHL", f"line_{first.id}": "1", f"line_{second.id}": "1"},
    )
    assert rest.status_code == 302
    order = _order(app, order_id)
    assert (order.status, order.fulfillment_status) == (OrderStatus.COMPLETED, FulfillmentStatus.FULFILLED)
    details = support.http.get(f"/admin/order/details/{order_id}").text
    assert "00340434" in details and "DHL" in details


def test_cancel_a_paid_order_returns_stock_and_refunds(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient], order_ids: tuple[int, int]
) -> None:
    order_id, tee_variant = order_ids
    manager = as_role(StaffRole.MANAGER)
    _paid(app, manager, order_id)
    with app.state.sessions() as session:
        on_hand_paid = session.scalar(select(StockLevel.on_hand).where(StockLevel.variant_id == tee_variant))
    assert (
        manager.action("/admin/order/action/cancel", order_id, {"reason": "customer asked"}).status_code
        == 302
    )
    order = _order(app, order_id)
    assert order.status is OrderStatus.CANCELLED and order.payment_status is PaymentStatus.REFUNDED
    with app.state.sessions() as session:
        level = session.scalar(select(StockLevel).where(StockLevel.variant_id == tee_variant))
        assert (level.on_hand, level.allocated) == (on_hand_paid + 2, 0)


def test_resend_confirmation_queues_mail_only_for_paid_orders(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient], order_ids: tuple[int, int]
) -> None:
    order_id, _ = order_ids
    support = as_role(StaffRole.SUPPORT)
    unpaid = support.action("/admin/order/action/resend-confirmation", order_id)
    assert unpaid.status_code == 400 and "not paid" in unpaid.text
    _paid(app, as_role(StaffRole.MANAGER), order_id)
    assert support.action("/admin/order/action/resend-confirmation", order_id).status_code == 302
    with app.state.sessions() as session:
        mails = session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.topic == "email.order_confirmation")
        )
    assert mails == 2  # the one on payment, and the resend
