"""The shipping methods a destination can choose from."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.core.pricing.calculator import ShippingRate
from shop.core.shipping.models import ShippingMethod

_ACTIVE = (
    select(ShippingMethod)
    .where(ShippingMethod.active.is_(True))
    .order_by(ShippingMethod.position, ShippingMethod.id)
)


def shipping_rates(session: Session, country: str) -> list[ShippingRate]:
    """Active methods that ship to `country`, in the merchant's order."""
    methods = session.scalars(_ACTIVE).all()
    return [
        ShippingRate(
            code=m.code,
            name=m.name,
            price=m.price,
            free_over=m.free_over,
            delivery_estimate=m.delivery_estimate,
        )
        for m in methods
        if m.ships_to(country)
    ]
