"""The tax rate of a destination: a region's rate wins over its country's."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from shop.core.pricing.calculator import Tax
from shop.core.tax.models import TaxRate

_RATES = select(TaxRate).where(
    TaxRate.country == bindparam("country"),
    func.upper(TaxRate.region).in_(bindparam("regions", expanding=True)),
)


def tax_for(session: Session, country: str, region: str | None = None) -> Tax | None:
    regions = [""] if not region else [region.strip().upper(), ""]
    rows = session.scalars(_RATES, {"country": country.upper(), "regions": regions}).all()
    # Region first, then the whole country.
    best = sorted(rows, key=lambda r: r.region == "")
    if not best:
        return None
    rate = best[0]
    return Tax(
        rate_bps=rate.rate_bps,
        inclusive=rate.prices_include_tax,
        applies_to_shipping=rate.applies_to_shipping,
        name=rate.name,
    )
