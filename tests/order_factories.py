"""Orders for service tests: placed straight into the database with their stock allocated."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy.orm import Session

from shop.core.catalog.models import Product
from shop.core.db import utcnow
from shop.core.inventory.allocation import allocate_order
from shop.core.orders.models import Order, OrderLine
from shop.core.payments.models import Payment

_numbers = itertools.count(5001)


def make_order(
    session: Session,
    items: list[tuple[Product, int]],
    *,
    email: str = "buyer@example.com",
    provider: str = "manual",
    discount_code: str | None = None,
    shipping_total: int = 0,
) -> Order:
    """A pending-payment order for `items` ((product, quantity)), allocated, with a pending payment."""
    number = next(_numbers)
    order = Order(
        number=number,
        token=f"token-{number}",
        email=email,
        currency="EUR",
        subtotal=0,
        total=0,
        payment_provider=provider,
        discount_code=discount_code,
        shipping_total=shipping_total,
        expires_at=utcnow() + timedelta(minutes=30),
    )
    for product, quantity in items:
        variant = product.variants[0]
        order.lines.append(
            OrderLine(
                variant_id=variant.id,
                product_id=product.id,
                title=product.title,
                sku=variant.sku,
                unit_price=variant.price,
                quantity=quantity,
                line_total=variant.price * quantity,
            )
        )
    order.subtotal = sum(line.line_total for line in order.lines)
    order.total = order.subtotal + shipping_total
    session.add(order)
    session.flush()
    allocate_order(session, order, actor="test")
    session.add(Payment(order_id=order.id, provider=provider, amount=order.total, currency="EUR"))
    session.flush()
    return order
