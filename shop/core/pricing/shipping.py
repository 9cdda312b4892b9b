"""The shipping methods a destination can choose from."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.core.pricing.calculator import ShippingRate
from shop.core.shipping.models import ShippingMethod, ships_to

# Plain columns on the session's connection, not ORM objects through the session: every
# cart read and checkout asks, and the ORM layer cost more than the query. (Nothing is
# pending here: services flush before they price.)
_ACTIVE = (
    select(
        ShippingMethod.code,
        ShippingMethod.name,
        ShippingMethod.price,
        ShippingMethod.free_over,
        ShippingMethod.delivery_estimate,
        ShippingMethod.countries,
    )
    .where(ShippingMethod.active.is_(True))
    .order_by(ShippingMethod.position, ShippingMethod.id)
)


def shipping_rates(session: Session, country: str) -> list[ShippingRate]:
    """Active methods that ship to `country`, in the merchant's order."""
    return [
        ShippingRate(
            code=code, name=name, price=price, free_over=free_over, delivery_estimate=delivery_estimate
        )
        for code, name, price, free_over, delivery_estimate, countries in session.connection().execute(
            _ACTIVE
        )
        if ships_to(countries, country)
    ]
