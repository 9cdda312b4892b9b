"""Reading orders for the people allowed to see them."""

from __future__ import annotations

import hmac

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shop.core.errors import NotFound
from shop.core.orders.models import Order
from shop.core.payments.models import Payment


def guest_order(session: Session, number: int, token: str) -> Order:
    """The order with `number` if `token` is its secret; NotFound otherwise, never "forbidden",
    so a guessed number reveals nothing about whether the order exists."""
    order = session.scalar(
        select(Order)
        .where(Order.number == number)
        .options(selectinload(Order.lines), selectinload(Order.fulfillments))
    )
    # Compared in constant time, and compared even when there is no order.
    expected = order.token if order is not None else "x" * 43
    if not hmac.compare_digest(expected.encode(), token.encode()) or order is None:
        raise NotFound(f"order {number} not found", field="order_number")
    return order


def latest_payment(session: Session, order: Order) -> Payment | None:
    return session.scalars(
        select(Payment).where(Payment.order_id == order.id).order_by(Payment.id.desc()).limit(1)
    ).first()


def lock_order(session: Session, order: Order) -> Order:
    """Take the order's row lock (PostgreSQL) and reload it and its lines as committed.

    Two staff members fulfilling or cancelling one order at once then run one after the
    other, and the second sees what the first did instead of overwriting it.
    """
    return session.scalars(
        select(Order)
        .where(Order.id == order.id)
        .with_for_update()
        .options(selectinload(Order.lines))
        .execution_options(populate_existing=True)
    ).one()
