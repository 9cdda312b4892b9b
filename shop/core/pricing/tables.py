"""The shipping methods and tax rates a quote needs, read inside another statement.

Every cart read and checkout prices the cart, and each of the two reads of pricing tables
cost a statement of its own (a round trip, and more Python than the query). These columns
aggregate the same rows into one JSON value each, so the cart's own statement brings them
along, always as fresh as the cart itself: nothing is cached. `quote` uses them when they
were read for the destination and region it prices; otherwise it reads as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, String, bindparam, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from shop.core.pricing.calculator import ShippingRate, Tax
from shop.core.pricing.shipping import RATE_COLUMNS, rates_to
from shop.core.pricing.tax import RATE_COLUMNS as TAX_COLUMNS
from shop.core.pricing.tax import best_rate, tax_regions
from shop.core.shipping.models import ShippingMethod
from shop.core.tax.models import TaxRate


class json_rows(FunctionElement[Any]):
    """An aggregate: one JSON array per row of its arguments, in one JSON array (NULL or
    `[]` over no rows)."""

    type = JSON()
    inherit_cache = True
    name = "json_rows"


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows)
def _json_rows_sqlite(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@dataclass(frozen=True, slots=True)
class PricingTables:
    """Active shipping methods (all destinations) and the tax rates of one destination."""

    country: str  # upper case
    regions: tuple[str, ...]
    shipping: tuple[tuple[Any, ...], ...]  # code, name, price, free_over, estimate, countries
    tax: tuple[tuple[Any, ...], ...]  # rate_bps, prices_include_tax, applies_to_shipping, name, region

    def serves(self, country: str, region: str | None) -> bool:
        return self.country == country.upper() and self.regions == tax_regions(region)

    def shipping_rates(self, country: str) -> list[ShippingRate]:
        """As `shipping.shipping_rates` would read them."""
        return rates_to(self.shipping, country)

    def tax_for(self) -> Tax | None:
        """As `tax.tax_for` would read it."""
        return best_rate(self.tax)


def tables_columns(cart_country: Any) -> tuple[Any, ...]:
    """Three columns for a statement about one cart: the destination the tax rates are for
    (the `tax_country` parameter, else `cart_country`, else the `default_country` parameter,
    upper case, as `price_cart` chooses it), the active shipping methods and the tax rates
    of that destination in the `tax_regions` parameter's regions."""
    country = func.upper(
        func.coalesce(
            func.nullif(bindparam("tax_country", type_=String()), ""),
            func.nullif(cart_country, ""),
            bindparam("default_country", type_=String()),
        )
    )
    shipping = (
        select(json_rows(*RATE_COLUMNS, ShippingMethod.position, ShippingMethod.id))
        .where(ShippingMethod.active.is_(True))
        .scalar_subquery()
    )
    tax = (
        select(json_rows(*TAX_COLUMNS))
        .where(
            TaxRate.country == country,
            func.upper(TaxRate.region).in_(bindparam("tax_regions", expanding=True)),
        )
        .scalar_subquery()
    )
    return country.label("tax_country"), shipping.label("shipping_rows"), tax.label("tax_rows")


def tables_params(country: str | None, default_country: str, region: str | None) -> dict[str, Any]:
    return {
        "tax_country": country,
        "default_country": default_country,
        "tax_regions": list(tax_regions(region)),
    }


def read_tables(country: str, regions: tuple[str, ...], shipping: Any, tax: Any) -> PricingTables:
    """The three columns' values as `PricingTables`; methods in the merchant's order."""
    methods = sorted(shipping or (), key=lambda row: (row[6], row[7]))
    return PricingTables(
        country=country,
        regions=regions,
        shipping=tuple(tuple(row[:6]) for row in methods),
        tax=tuple(tuple(row) for row in tax or ()),
    )
