"""Lines in, totals out: a pure function over plain dataclasses (no database, no floats).

`total = subtotal - discount + shipping + tax` when prices exclude tax, and
`total = subtotal - discount + shipping` when they include it (the tax is inside).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shop.core.pricing.rounding import divide_half_up, share_proportionally

BPS = 10_000


class DiscountType(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"
    FREE_SHIPPING = "free_shipping"


@dataclass(frozen=True, slots=True)
class LineInput:
    variant_id: int
    sku: str
    unit_price: int
    quantity: int
    taxable: bool = True
    requires_shipping: bool = True


@dataclass(frozen=True, slots=True)
class Discount:
    code: str
    kind: DiscountType
    value: int  # basis points for percent, minor units for fixed


@dataclass(frozen=True, slots=True)
class ShippingRate:
    code: str
    name: str
    price: int
    free_over: int | None = None
    delivery_estimate: str = ""

    def price_for(self, discounted_subtotal: int, *, free_shipping: bool) -> int:
        if free_shipping:
            return 0
        if self.free_over is not None and discounted_subtotal >= self.free_over:
            return 0
        return self.price


@dataclass(frozen=True, slots=True)
class Tax:
    rate_bps: int
    inclusive: bool
    applies_to_shipping: bool = True
    name: str = ""

    def of(self, amount: int) -> int:
        if self.inclusive:
            return divide_half_up(amount * self.rate_bps, BPS + self.rate_bps)
        return divide_half_up(amount * self.rate_bps, BPS)


@dataclass(frozen=True, slots=True)
class PricedLine:
    variant_id: int
    sku: str
    unit_price: int
    quantity: int
    subtotal: int  # unit_price * quantity
    discount: int
    total: int  # subtotal - discount
    tax: int


@dataclass(frozen=True, slots=True)
class Totals:
    lines: tuple[PricedLine, ...]
    subtotal: int
    discount: int
    shipping: int
    shipping_tax: int
    tax: int
    total: int
    prices_include_tax: bool
    discount_code: str | None = None
    free_shipping: bool = False
    shipping_method: str | None = None


def calculate(
    lines: list[LineInput],
    *,
    discount: Discount | None = None,
    shipping: ShippingRate | None = None,
    tax: Tax | None = None,
) -> Totals:
    """Price `lines` with an optional discount, shipping rate and tax; see `rounding`."""
    subtotals = [line.unit_price * line.quantity for line in lines]
    if any(line.quantity <= 0 or line.unit_price < 0 for line in lines):
        raise ValueError("quantities must be positive and prices non-negative")
    subtotal = sum(subtotals)

    discounts = [0] * len(lines)
    free_shipping = False
    if discount is not None:
        if discount.kind == DiscountType.PERCENT:
            rate = min(max(discount.value, 0), BPS)
            discounts = [divide_half_up(s * rate, BPS) for s in subtotals]
        elif discount.kind == DiscountType.FIXED:
            discounts = share_proportionally(min(max(discount.value, 0), subtotal), subtotals)
        else:
            free_shipping = True
    line_totals = [s - d for s, d in zip(subtotals, discounts, strict=True)]
    discounted = sum(line_totals)

    ships = any(line.requires_shipping for line in lines)
    shipping_price = shipping.price_for(discounted, free_shipping=free_shipping) if shipping and ships else 0

    line_taxes = [
        tax.of(total) if tax is not None and line.taxable else 0
        for line, total in zip(lines, line_totals, strict=True)
    ]
    shipping_tax = tax.of(shipping_price) if tax is not None and tax.applies_to_shipping else 0
    tax_total = sum(line_taxes) + shipping_tax
    inclusive = tax.inclusive if tax is not None else False
    total = discounted + shipping_price + (0 if inclusive else tax_total)

    priced = tuple(
        PricedLine(
            variant_id=line.variant_id,
            sku=line.sku,
            unit_price=line.unit_price,
            quantity=line.quantity,
            subtotal=s,
            discount=d,
            total=t,
            tax=x,
        )
        for line, s, d, t, x in zip(lines, subtotals, discounts, line_totals, line_taxes, strict=True)
    )
    return Totals(
        lines=priced,
        subtotal=subtotal,
        discount=sum(discounts),
        shipping=shipping_price,
        shipping_tax=shipping_tax,
        tax=tax_total,
        total=total,
        prices_include_tax=inclusive,
        discount_code=discount.code if discount else None,
        free_shipping=free_shipping,
        shipping_method=shipping.code if shipping else None,
    )
