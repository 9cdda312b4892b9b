"""The tax rate of a destination: a region's rate wins over its country's."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from shop.core.pricing.calculator import Tax
from shop.core.tax.models import TaxRate

# Columns rather than TaxRate objects: asked on every cart read and checkout.
_RATES = select(
    TaxRate.rate_bps, TaxRate.prices_include_tax, TaxRate.applies_to_shipping, TaxRate.name, TaxRate.region
).where(
    TaxRate.country == bindparam("country"),
    func.upper(TaxRate.region).in_(bindparam("regions", expanding=True)),
)


def tax_for(session: Session, country: str, region: str | None = None) -> Tax | None:
    regions = [""] if not region else [region.strip().upper(), ""]
    rows = session.connection().execute(_RATES, {"country": country.upper(), "regions": regions}).all()
    # Region first, then the whole country.
    best = sorted(rows, key=lambda r: r.region == "")
    if not best:
        return None
    rate_bps, inclusive, applies_to_shipping, name, _region = best[0]
    return Tax(rate_bps=rate_bps, inclusive=inclusive, applies_to_shipping=applies_to_shipping, name=name)
