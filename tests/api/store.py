"""A small store committed to the test database, and a client for its API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from shop.core.catalog.models import InventoryPolicy, ProductStatus
from shop.core.discounts.models import DiscountCode, DiscountKind
from shop.core.shipping.models import ShippingMethod
from shop.core.tax.models import TaxRate
from tests.factories import make_location, make_product

ADDRESS = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "line1": "Main St 1",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
}


@dataclass(frozen=True)
class Seeded:
    variant_ids: dict[str, int]


def seed_store(engine: Engine) -> Seeded:
    """TEE 20.00 (10 in stock), MUG 15.00 (3), BACK 5.00 (0, backorders allowed), DRAFT (not for sale);
    DE 19 % VAT inclusive, US 8 % exclusive without shipping; two shipping methods; codes."""
    with Session(engine) as session, session.begin():
        location = make_location(session, priority=0)
        products = {
            "TEE": make_product(session, sku="TEE", price=2000, stock=10, location=location, title="Tee"),
            "MUG": make_product(session, sku="MUG", price=1500, stock=3, location=location, title="Mug"),
            "BACK": make_product(
                session,
                sku="BACK",
                price=500,
                stock=0,
                location=location,
                policy=InventoryPolicy.CONTINUE,
                title="Backorder",
            ),
            "DRAFT": make_product(
                session,
                sku="DRAFT",
                price=100,
                stock=5,
                location=location,
                status=ProductStatus.DRAFT,
                title="Draft",
            ),
        }
        session.add_all(
            [
                ShippingMethod(
                    name="Standard", code="standard", price=490, free_over=5000, countries="DE,AT", position=0
                ),
                ShippingMethod(name="Express", code="express", price=990, countries="", position=1),
                TaxRate(name="VAT", country="DE", rate_bps=1900, prices_include_tax=True),
                TaxRate(
                    name="Sales tax",
                    country="US",
                    rate_bps=800,
                    prices_include_tax=False,
                    applies_to_shipping=False,
                ),
                DiscountCode(code="TENOFF", kind=DiscountKind.PERCENT, value=1000),
                DiscountCode(code="BIG", kind=DiscountKind.FIXED, value=500, minimum_subtotal=10000),
                DiscountCode(code="SHIPFREE", kind=DiscountKind.FREE_SHIPPING),
                DiscountCode(code="ONCE", kind=DiscountKind.PERCENT, value=500, per_customer_limit=1),
            ]
        )
        return Seeded({sku: p.variants[0].id for sku, p in products.items()})


def checkout_body(token: str, **overrides: Any) -> dict[str, Any]:
    return {
        "cart_token": token,
        "email": "ada@example.com",
        "shipping_address": ADDRESS,
        "shipping_method": "standard",
        **overrides,
    }
