"""GET /availability: live prices and stock for the SKUs a static page shows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from shop.api.deps import ReadSessionDep, SettingsDep
from shop.api.types import problems
from shop.core.carts.sellable import variants_by_sku
from shop.core.errors import InvalidInput

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


@router.get("/availability", response_model=Availability, responses=problems(422))
def availability(
    session: ReadSessionDep,
    settings: SettingsDep,
    skus: Annotated[str, Query(description="Comma-separated SKUs", max_length=10_000)],
) -> Availability:
    wanted = list(dict.fromkeys(s.strip() for s in skus.split(",") if s.strip()))
    if not wanted:
        raise InvalidInput("name at least one SKU", field="skus")
    if len(wanted) > MAX_SKUS:
        raise InvalidInput(f"at most {MAX_SKUS} SKUs per request", field="skus")
    found = {sku: v for sku, v in variants_by_sku(session, wanted).items() if v.for_sale}
    items = []
    for sku in wanted:
        variant = found.get(sku)
        if variant is None:
            continue
        items.append(
            SkuAvailability(
                sku=sku,
                price=variant.price,
                compare_at_price=variant.compare_at_price,
                available=variant.available,
                in_stock=variant.backorder or variant.stock > 0,
                backorder=variant.backorder,
            )
        )
    return Availability(
        currency=settings.currency, items=items, unknown=[sku for sku in wanted if sku not in found]
    )
