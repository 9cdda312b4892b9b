"""The shipping methods a destination can choose from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.core.pricing.calculator import ShippingRate
from shop.core.shipping.models import ShippingMethod, ships_to

# Plain columns on the session's connection, not ORM objects through the session: every
# cart read and checkout asks, and the ORM layer cost more than the query. (Nothing is
# pending here: services flush before they price.)
# What a rate needs of a method, in this order (pricing.tables reads the same columns).
RATE_COLUMNS = (
    ShippingMethod.code,
    ShippingMethod.name,
    ShippingMethod.price,
    ShippingMethod.free_over,
    ShippingMethod.delivery_estimate,
    ShippingMethod.countries,
)
_ACTIVE = (
    select(*RATE_COLUMNS)
    .where(ShippingMethod.active.is_(True))
    .order_by(ShippingMethod.position, ShippingMethod.id)
)


def shipping_rates(session: Session, country: str) -> list[ShippingRate]:
    """Active methods that ship to `country`, in the merchant's order."""
    return rates_to(session.connection().execute(_ACTIVE), country)


def rates_to(rows: Iterable[Sequence[Any]], country: str) -> list[ShippingRate]:
    """The rates of `rows` (RATE_COLUMNS, in the merchant's order) that ship to `country`."""
    return [
        ShippingRate(
            code=code, name=name, price=price, free_over=free_over, delivery_estimate=delivery_estimate
        )
        for code, name, price, free_over, delivery_estimate, countries in rows
        if ships_to(countries, country)
    ]
