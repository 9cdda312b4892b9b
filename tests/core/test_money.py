from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.core.money import Money, percent_of


def test_parse_and_format_round_trip() -> None:
    assert Money.parse("12.5", "EUR") == Money(1250, "EUR")
    assert Money.parse("1200", "JPY").format() == "1200"
    assert Money(5, "EUR").format() == "0.05"
    with pytest.raises(ValueError, match="decimals"):
        Money.parse("1.005", "EUR")


def test_money_refuses_floats_and_mixed_currencies() -> None:
    with pytest.raises(TypeError):
        Money(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mix"):
        Money(1, "EUR") + Money(1, "USD")


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10000))
def test_percent_of_stays_within_bounds(amount: int, bps: int) -> None:
    part = percent_of(amount, bps)
    assert 0 <= part <= amount
    assert abs(part * 10000 - amount * bps) <= 5000


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_format_parse_is_identity(amount: int) -> None:
    money = Money(amount, "EUR")
    assert Money.parse(money.format(), "EUR") == money
