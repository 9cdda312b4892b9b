"""Pricing against the database: the one place carts and orders get their totals from.

A cart shows a quote; checkout asks for the same quote in strict mode, where anything a
cart merely reports (a code that no longer applies, no shipping method chosen) is an error
naming the field, so an order is never priced differently from what the cart showed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from shop.core.errors import InvalidInput
from shop.core.pricing.calculator import Discount, LineInput, ShippingRate, Totals, calculate
from shop.core.pricing.discounts import DiscountNotApplicable, find_discount
from shop.core.pricing.shipping import shipping_rates
from shop.core.pricing.tables import PricingTables
from shop.core.pricing.tax import tax_for


@dataclass(frozen=True, slots=True)
class ShippingOption:
    code: str
    name: str
    price: int
    delivery_estimate: str


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    country: str
    totals: Totals
    shipping_options: tuple[ShippingOption, ...]
    shipping_method_name: str
    discount_error: str | None = None


def quote(
    session: Session,
    lines: list[LineInput],
    *,
    currency: str,
    country: str,
    region: str | None = None,
    discount_code: str | None,
    email: str | None,
    shipping_method: str | None,
    now: datetime,
    strict: bool = False,
    tables: PricingTables | None = None,
) -> Quote:
    """Totals for `lines` shipped to `country`.

    strict=False (a cart): an inapplicable code is reported in `discount_error` and left
    out; with no method chosen the first one is the estimate. strict=True (checkout):
    both are InvalidInput naming `discount_code` or `shipping_method`. `tables`: the
    shipping methods and tax rates read already (with the cart), used when they were read
    for this destination and region.
    """
    country = country.upper()
    discount: Discount | None = None
    discount_error: str | None = None
    if discount_code:
        subtotal = sum(line.unit_price * line.quantity for line in lines)
        try:
            discount = find_discount(
                session,
                discount_code,
                subtotal=subtotal,
                currency=currency,
                email=email,
                now=now,
                field="discount_code",
            )
        except DiscountNotApplicable as exc:
            if strict:
                raise
            discount_error = exc.detail

    if tables is not None and tables.serves(country, region):
        rates, tax = tables.shipping_rates(country), tables.tax_for()
    else:
        rates, tax = shipping_rates(session, country), tax_for(session, country, region)
    rate = _choose(rates, shipping_method, country=country, strict=strict)
    totals = calculate(lines, discount=discount, shipping=rate, tax=tax)

    discounted = totals.subtotal - totals.discount
    ships = any(line.requires_shipping for line in lines)
    options = tuple(
        ShippingOption(
            code=r.code,
            name=r.name,
            delivery_estimate=r.delivery_estimate,
            price=r.price_for(discounted, free_shipping=totals.free_shipping) if ships else 0,
        )
        for r in rates
    )
    return Quote(
        currency=currency,
        country=country,
        totals=totals,
        shipping_options=options,
        shipping_method_name=rate.name if rate else "",
        discount_error=discount_error,
    )


def _choose(
    rates: list[ShippingRate], code: str | None, *, country: str, strict: bool
) -> ShippingRate | None:
    if strict and not rates:
        raise InvalidInput(f"we do not ship to {country}", field="shipping_address.country")
    if code:
        for rate in rates:
            if rate.code == code:
                return rate
        if strict:
            known = ", ".join(r.code for r in rates) or "none"
            raise InvalidInput(
                f"shipping method {code!r} does not ship to {country} (choose from: {known})",
                field="shipping_method",
            )
    elif strict:
        raise InvalidInput("choose a shipping method", field="shipping_method")
    return rates[0] if rates else None
