"""Small factories for test data: each makes one valid row with sensible defaults."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from shop.core.catalog.models import InventoryPolicy, Product, ProductStatus, Variant
from shop.core.customers.models import Customer
from shop.core.db import utcnow
from shop.core.inventory.models import Location, StockLevel
from shop.core.orders.models import Order, OrderLine, OrderStatus, PaymentStatus
from shop.core.security import hash_password, new_token
from shop.core.site.services import next_order_number

_seq = itertools.count(1)


def make_location(session: Session, **fields: Any) -> Location:
    n = next(_seq)
    location = Location(**{"name": f"Location {n}", "code": f"L{n}", **fields})
    session.add(location)
    session.flush()
    return location


def make_product(
    session: Session,
    *,
    sku: str | None = None,
    price: int = 1000,
    stock: int | None = 10,
    location: Location | None = None,
    policy: InventoryPolicy = InventoryPolicy.DENY,
    status: ProductStatus = ProductStatus.ACTIVE,
    **fields: Any,
) -> Product:
    """An active product with one variant and, unless stock is None, stock at one location."""
    n = next(_seq)
    product = Product(**{"title": f"Product {n}", "slug": f"product-{n}", "status": status, **fields})
    variant = Variant(sku=sku or f"SKU-{n}", price=price, inventory_policy=policy)
    product.variants.append(variant)
    session.add(product)
    session.flush()
    if stock is not None:
        session.add(StockLevel(variant=variant, location=location or make_location(session), on_hand=stock))
        session.flush()
    return product


def make_customer(
    session: Session,
    *,
    email: str | None = None,
    password: str | None = "correct horse battery",
    **fields: Any,
) -> Customer:
    """A customer with an account (password set), or a guest-only one with `password=None`."""
    n = next(_seq)
    customer = Customer(
        email=email or f"customer{n}@example.com",
        password_hash=hash_password(password) if password else None,
        **fields,
    )
    session.add(customer)
    session.flush()
    return customer


def make_order(
    session: Session,
    *,
    product: Product,
    email: str = "buyer@example.com",
    customer: Customer | None = None,
    quantity: int = 1,
    paid: bool = True,
    currency: str = "EUR",
    shipping: int = 0,
) -> Order:
    """An order for `quantity` of the product's first variant; paid unless told otherwise."""
    variant = product.variants[0]
    subtotal = variant.price * quantity
    now = utcnow()
    order = Order(
        number=next_order_number(session),
        token=new_token(),
        email=email,
        customer_id=customer.id if customer else None,
        currency=currency,
        subtotal=subtotal,
        shipping_total=shipping,
        total=subtotal + shipping,
        status=OrderStatus.OPEN if paid else OrderStatus.PENDING_PAYMENT,
        payment_status=PaymentStatus.PAID if paid else PaymentStatus.PENDING,
        paid_at=now if paid else None,
        placed_at=now,
        shipping_address={
            "first_name": "Ada",
            "last_name": "Lovelace",
            "line1": "1 Main St",
            "city": "Berlin",
            "postal_code": "10115",
            "country": "DE",
        },
    )
    order.lines.append(
        OrderLine(
            variant_id=variant.id,
            product_id=product.id,
            title=product.title,
            sku=variant.sku,
            unit_price=variant.price,
            quantity=quantity,
            line_total=subtotal,
        )
    )
    session.add(order)
    session.flush()
    return order
