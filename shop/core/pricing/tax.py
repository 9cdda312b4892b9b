"""The tax rate of a destination: a region's rate wins over its country's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from shop.core.pricing.calculator import Tax
from shop.core.tax.models import TaxRate

# What a rate needs, in this order (pricing.tables reads the same columns). Columns rather
# than TaxRate objects: asked on every cart read and checkout.
RATE_COLUMNS = (
    TaxRate.rate_bps,
    TaxRate.prices_include_tax,
    TaxRate.applies_to_shipping,
    TaxRate.name,
    TaxRate.region,
)
_RATES = select(*RATE_COLUMNS).where(
    TaxRate.country == bindparam("country"),
    func.upper(TaxRate.region).in_(bindparam("regions", expanding=True)),
)


def tax_regions(region: str | None) -> tuple[str, ...]:
    """The regions whose rates apply (a region's rate wins over the whole country's, "")."""
    return ("",) if not region else (region.strip().upper(), "")


def tax_for(session: Session, country: str, region: str | None = None) -> Tax | None:
    rows = session.connection().execute(
        _RATES, {"country": country.upper(), "regions": list(tax_regions(region))}
    )
    return best_rate(rows)


def best_rate(rows: Iterable[Sequence[Any]]) -> Tax | None:
    """The rate among `rows` (RATE_COLUMNS) that applies: the region's, else the country's."""
    best = sorted(rows, key=lambda row: row[4] == "")
    if not best:
        return None
    rate_bps, inclusive, applies_to_shipping, name, _region = best[0]
    return Tax(
        rate_bps=rate_bps,
        inclusive=bool(inclusive),
        applies_to_shipping=bool(applies_to_shipping),
        name=name,
    )
