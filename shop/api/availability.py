"""GET /availability: live prices and stock for the SKUs a static page shows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from shop.api.deps import ReadSessionDep, SettingsDep
from shop.core.carts.services import sellable_variants
from shop.core.errors import InvalidInput
from shop.core.inventory.allocation import available_quantities

router = APIRouter(tags=["availability"])

MAX_SKUS = 100


class SkuAvailability(BaseModel):
    sku: str
    price: int
    compare_at_price: int | None
    available: int | None  # None: sold without limit (backorders)
    in_stock: bool
    backorder: bool


class Availability(BaseModel):
    currency: str
    items: list[SkuAvailability]
    unknown: list[str]  # not found, or not for sale


@router.get("/availability", response_model=Availability)
def availability(
    session: ReadSessionDep, settings: SettingsDep,
    skus: Annotated[str, Query(description="Comma-separated SKUs", max_length=10_000)],
) -> Availability:
    wanted = list(dict.fromkeys(s.strip() for s in skus.split(",") if s.strip()))
    if not wanted:
        raise InvalidInput("name at least one SKU", field="skus")
    if len(wanted) > MAX_SKUS:
        raise InvalidInput(f"at most {MAX_SKUS} SKUs per request", field="skus")
    found = {sku: v for sku, v in sellable_variants(session, skus=wanted).items() if v.for_sale}
    stock = available_quantities(session, [v.variant_id for v in found.values()])
    items = []
    for sku in wanted:
        variant = found.get(sku)
        if variant is None:
            continue
        available = max(0, stock[variant.variant_id])
        items.append(SkuAvailability(
            sku=sku, price=variant.price, compare_at_price=variant.compare_at_price,
            available=None if variant.backorder else available,
            in_stock=variant.backorder or available > 0, backorder=variant.backorder,
        ))
    return Availability(currency=settings.currency, items=items,
                        unknown=[sku for sku in wanted if sku not in found])
