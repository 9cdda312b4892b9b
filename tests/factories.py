"""Small factories for test data: each makes one valid row with sensible defaults."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from shop.core.catalog.models import InventoryPolicy, Product, ProductStatus, Variant
from shop.core.inventory.models import Location, StockLevel

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
