"""A little of everything, for pages to show."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from shop.core.catalog.models import Category, Collection, Product
from shop.core.customers.models import Customer
from shop.core.db import utcnow
from shop.core.discounts.models import DiscountCode, DiscountKind
from shop.core.inventory.models import Location, StockLevel
from shop.core.orders.models import Order, OrderLine, OrderStatus, PaymentStatus
from shop.core.payments.models import Payment, PaymentState
from shop.core.reviews.models import Review
from shop.core.shipping.models import ShippingMethod
from shop.core.tax.models import TaxRate
from tests.factories import make_location, make_product


@dataclass
class Seeded:
    product: Product
    location: Location
    other_location: Location
    level: StockLevel
    order: Order
    review: Review
    customer: Customer


def seed(session: Session) -> Seeded:
    location = make_location(session, name="Main", code="MAIN")
    other = make_location(session, name="Backroom", code="BACK")
    product = make_product(session, sku="TEE-1", price=1999, stock=5, location=location, title="Tee")
    level = session.query(StockLevel).filter_by(location_id=location.id).one()
    customer = Customer(email="ann@example.com", first_name="Ann")
    session.add(customer)
    session.add_all(
        [
            Category(name="Shirts", slug="shirts"),
            Collection(title="Summer", slug="summer"),
            ShippingMethod(name="Standard", code="std", price=495),
            TaxRate(name="VAT", country="DE", rate_bps=1900),
            DiscountCode(code="TENOFF", kind=DiscountKind.PERCENT, value=1000),
        ]
    )
    session.flush()
    variant = product.variants[0]
    order = Order(
        number=1001,
        token="tok-1001",
        email="ann@example.com",
        customer_id=customer.id,
        currency="EUR",
        subtotal=3998,
        total=3998,
        status=OrderStatus.OPEN,
        payment_status=PaymentStatus.PAID,
        paid_at=utcnow(),
        payment_provider="manual",
    )
    order.lines.append(
        OrderLine(
            variant_id=variant.id,
            product_id=product.id,
            title="Tee",
            sku="TEE-1",
            unit_price=1999,
            quantity=2,
            line_total=3998,
        )
    )
    session.add(order)
    session.flush()
    session.add(
        Payment(
            order_id=order.id,
            provider="manual",
            provider_reference="m-1",
            amount=3998,
            currency="EUR",
            status=PaymentState.SUCCEEDED,
        )
    )
    review = Review(
        product_id=product.id, author_name="Ann", email="ann@example.com", rating=5, title="Great"
    )
    session.add(review)
    session.flush()
    return Seeded(product, location, other, level, order, review, customer)
