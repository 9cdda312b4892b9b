from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shop.core.pricing.calculator import (
    Discount,
    DiscountType,
    LineInput,
    ShippingRate,
    Tax,
    calculate,
)
from shop.core.pricing.rounding import divide_half_up, share_proportionally


def _line(price: int, qty: int, n: int = 1, **kw: bool) -> LineInput:
    return LineInput(variant_id=n, sku=f"S{n}", unit_price=price, quantity=qty, **kw)


def test_divide_half_up_rounds_halves_up() -> None:
    assert [divide_half_up(n, 10) for n in (4, 5, 6, 14, 15, 25)] == [0, 1, 1, 1, 2, 3]
    assert divide_half_up(-15, 10) == -2


def test_inclusive_tax_is_extracted_per_line() -> None:
    # 19 % VAT inside 10.00: 1000 * 1900 / 11900 = 159.66 -> 160 cents.
    totals = calculate([_line(1000, 1), _line(1000, 1, 2)], tax=Tax(1900, inclusive=True))
    assert [line.tax for line in totals.lines] == [160, 160]
    assert totals.tax == 320 and totals.total == 2000 and totals.prices_include_tax


def test_exclusive_tax_is_added_and_covers_shipping() -> None:
    totals = calculate(
        [_line(1999, 1)], shipping=ShippingRate("std", "Standard", 495), tax=Tax(825, inclusive=False)
    )
    # 1999 * 8.25 % = 164.92 -> 165; 495 * 8.25 % = 40.84 -> 41.
    assert (totals.tax, totals.shipping_tax) == (206, 41)
    assert totals.total == 1999 + 495 + 206


def test_untaxed_lines_and_untaxed_shipping() -> None:
    totals = calculate(
        [_line(1000, 1), _line(1000, 1, 2, taxable=False)],
        shipping=ShippingRate("std", "S", 500),
        tax=Tax(2000, inclusive=False, applies_to_shipping=False),
    )
    assert [line.tax for line in totals.lines] == [200, 0]
    assert totals.shipping_tax == 0 and totals.total == 2700


def test_percent_discount_rounds_per_line() -> None:
    totals = calculate([_line(333, 1), _line(333, 1, 2)], discount=Discount("X", DiscountType.PERCENT, 1500))
    # 333 * 15 % = 49.95 -> 50 per line (the order-level figure would have been 99.9 -> 100 too).
    assert [line.discount for line in totals.lines] == [50, 50]
    assert totals.discount == 100


def test_fixed_discount_is_shared_and_capped() -> None:
    totals = calculate([_line(100, 1), _line(200, 1, 2)], discount=Discount("X", DiscountType.FIXED, 1000))
    assert totals.discount == 300 and totals.total == 0
    shared = calculate([_line(100, 1), _line(200, 1, 2)], discount=Discount("X", DiscountType.FIXED, 100))
    assert [line.discount for line in shared.lines] == [33, 67]


def test_free_shipping_over_threshold_uses_the_discounted_subtotal() -> None:
    rate = ShippingRate("std", "Standard", 490, free_over=5000)
    assert calculate([_line(5000, 1)], shipping=rate).shipping == 0
    ten_off = Discount("X", DiscountType.PERCENT, 1000)
    assert calculate([_line(5000, 1)], shipping=rate, discount=ten_off).shipping == 490
    free = Discount("SHIP", DiscountType.FREE_SHIPPING, 0)
    assert calculate([_line(100, 1)], shipping=rate, discount=free).shipping == 0


def test_nothing_to_ship_costs_no_shipping() -> None:
    rate = ShippingRate("std", "Standard", 490)
    assert calculate([_line(100, 1, requires_shipping=False)], shipping=rate).shipping == 0


def test_share_proportionally_adds_up() -> None:
    assert share_proportionally(10, [1, 1, 1]) == [4, 3, 3]
    assert share_proportionally(0, [1, 2]) == [0, 0]


lines_strategy = st.lists(
    st.builds(
        LineInput,
        variant_id=st.integers(1, 10_000),
        sku=st.just("S"),
        unit_price=st.integers(0, 1_000_000),
        quantity=st.integers(1, 50),
        taxable=st.booleans(),
        requires_shipping=st.booleans(),
    ),
    min_size=1,
    max_size=8,
)
discount_strategy = st.one_of(
    st.none(),
    st.builds(Discount, code=st.just("C"), kind=st.just(DiscountType.PERCENT), value=st.integers(0, 10_000)),
    st.builds(
        Discount, code=st.just("C"), kind=st.just(DiscountType.FIXED), value=st.integers(0, 10_000_000)
    ),
    st.builds(Discount, code=st.just("C"), kind=st.just(DiscountType.FREE_SHIPPING), value=st.just(0)),
)
shipping_strategy = st.one_of(
    st.none(),
    st.builds(
        ShippingRate,
        code=st.just("s"),
        name=st.just("S"),
        price=st.integers(0, 10_000),
        free_over=st.one_of(st.none(), st.integers(0, 1_000_000)),
    ),
)
tax_strategy = st.one_of(
    st.none(),
    st.builds(
        Tax, rate_bps=st.integers(0, 10_000), inclusive=st.booleans(), applies_to_shipping=st.booleans()
    ),
)


@given(lines_strategy, discount_strategy, shipping_strategy, tax_strategy)
def test_totals_always_add_up(
    lines: list[LineInput], discount: Discount | None, shipping: ShippingRate | None, tax: Tax | None
) -> None:
    totals = calculate(lines, discount=discount, shipping=shipping, tax=tax)
    added_tax = 0 if totals.prices_include_tax else totals.tax
    assert totals.total == totals.subtotal - totals.discount + totals.shipping + added_tax
    assert totals.total >= 0 and totals.tax >= 0 and totals.shipping >= 0
    assert 0 <= totals.discount <= totals.subtotal
    assert totals.subtotal == sum(line.subtotal for line in totals.lines)
    assert totals.discount == sum(line.discount for line in totals.lines)
    assert totals.tax == sum(line.tax for line in totals.lines) + totals.shipping_tax
    for line in totals.lines:
        assert 0 <= line.discount <= line.subtotal and line.total == line.subtotal - line.discount
        if tax is not None and tax.inclusive:
            assert line.tax <= line.total  # tax inside a price is never more than the price
    if discount is not None and discount.kind == DiscountType.FIXED:
        assert totals.discount == min(discount.value, totals.subtotal)


@given(st.integers(0, 10**9), st.integers(1, 10**6))
def test_divide_half_up_matches_decimal(numerator: int, denominator: int) -> None:
    from decimal import ROUND_HALF_UP, Decimal

    expected = (Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert divide_half_up(numerator, denominator) == int(expected)


@given(st.integers(0, 10**7), st.lists(st.integers(0, 10**6), min_size=1, max_size=10))
def test_shares_add_up_exactly(total: int, weights: list[int]) -> None:
    shares = share_proportionally(total, weights)
    if sum(weights) == 0:
        assert shares == [0] * len(weights)
    else:
        assert sum(shares) == total and all(s >= 0 for s in shares)
