"""Ways to ship an order and what they cost."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from shop.core.db import Base, Timestamps


class ShippingMethod(Timestamps, Base):
    __tablename__ = "shipping_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    price: Mapped[int] = mapped_column(comment="minor units")
    # Free when the discounted subtotal reaches this many minor units.
    free_over: Mapped[int | None]
    # Comma-separated ISO 3166 alpha-2 codes; empty means every country.
    countries: Mapped[str] = mapped_column(String(1000), default="")
    delivery_estimate: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        CheckConstraint("price >= 0", name="price_non_negative"),
        CheckConstraint("free_over IS NULL OR free_over >= 0", name="free_over_non_negative"),
    )

    def __str__(self) -> str:
        return self.name


def country_codes(countries: str) -> list[str]:
    """A method's comma-separated country list as upper-case codes."""
    return [c.strip().upper() for c in countries.split(",") if c.strip()]


def ships_to(countries: str, country: str) -> bool:
    """Whether a method with this country list ships to `country`: empty means everywhere."""
    codes = country_codes(countries)
    return not codes or country.upper() in codes
