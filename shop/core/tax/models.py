"""Tax rates by country and optionally region."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shop.core.db import Base, Timestamps
from shop.core.types import CountryCode


class TaxRate(Timestamps, Base):
    __tablename__ = "tax_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    country: Mapped[str] = mapped_column(CountryCode)
    # Empty for the whole country; a region rate wins over the country's.
    region: Mapped[str] = mapped_column(String(100), default="")
    # Basis points: 1900 is 19.00 %. An integer, like money.
    rate_bps: Mapped[int]
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=True)
    applies_to_shipping: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        UniqueConstraint("country", "region"),
        CheckConstraint("rate_bps BETWEEN 0 AND 10000", name="rate_in_range"),
    )

    def __str__(self) -> str:
        where = f"{self.country}-{self.region}" if self.region else self.country
        return f"{self.name} ({where} {self.rate_bps / 100:.2f}%)"
