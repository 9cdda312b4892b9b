"""Reading single cells of a Shopify product CSV: tolerant of form, strict about meaning."""

from __future__ import annotations

import pytest

from shop.core.catalog import csv_format as f
from shop.core.catalog.csv_format import CellError
from shop.core.catalog.models import InventoryPolicy, ProductStatus


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "EUR", 1250),
        ("12.5", "EUR", 1250),
        ("12", "EUR", 1200),
        (" 0.99 ", "USD", 99),
        ("1500", "JPY", 1500),
        ("1.250", "KWD", 1250),
    ],
)
def test_prices_become_minor_units(text: str, currency: str, minor: int) -> None:
    assert f.parse_price(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12,5x", "is not a price"),
        ("12,50", "is not a price"),
        ("1e3", "is not a price"),
        ("NaN", "is not a price"),
        ("€12", "is not a price"),
        ("", "is not a price"),
        ("-1.00", "negative"),
        ("1.005", "more than 2 decimals"),
    ],
)
def test_bad_prices_say_why(text: str, reason: str) -> None:
    with pytest.raises(CellError, match=reason):
        f.parse_price(text, "EUR")


def test_yen_has_no_decimals() -> None:
    with pytest.raises(CellError, match="more than 0 decimals for JPY"):
        f.parse_price("10.5", "JPY")


@pytest.mark.parametrize(("text", "value"), [("TRUE", True), ("false", False), ("True", True), ("", True)])
def test_booleans_in_any_case(text: str, value: bool) -> None:
    assert f.parse_bool(text, default=True) is value


def test_grams_are_whole_and_not_negative() -> None:
    assert f.parse_grams("250") == 250 and f.parse_grams("250.0") == 250 and f.parse_grams("") == 0
    for bad in ("2.5", "-1", "heavy"):
        with pytest.raises(CellError):
            f.parse_grams(bad)


@pytest.mark.parametrize(
    ("text", "unit", "grams"),
    [
        ("1.5", "kg", 1500),
        ("1", "lb", 454),
        ("1", "oz", 28),
        ("300", "g", 300),
        ("0.5", "lb", 227),
    ],
)
def test_weights_convert_to_grams(text: str, unit: str, grams: int) -> None:
    assert f.to_grams(text, unit) == grams


def test_units_policies_and_statuses() -> None:
    assert f.parse_weight_unit("KG") == "kg" and f.parse_weight_unit("") == "g"
    assert (
        f.parse_policy("Continue") == InventoryPolicy.CONTINUE and f.parse_policy("") == InventoryPolicy.DENY
    )
    assert f.parse_status("Archived") == ProductStatus.ARCHIVED and f.parse_status("") is None
    for parse, bad in ((f.parse_weight_unit, "stone"), (f.parse_policy, "maybe"), (f.parse_status, "live")):
        with pytest.raises(CellError):
            parse(bad)


def test_handles() -> None:
    assert f.parse_handle(" Classic-Tee ") == "classic-tee"
    for bad in ("", "two words", "tee--x", "-tee", "t" * 201, "../etc"):
        with pytest.raises(CellError):
            f.parse_handle(bad)


def test_columns_are_matched_loosely() -> None:
    assert f.canonical_column("  variant   PRICE ") == f.PRICE
    assert f.canonical_column("Custom Product Type") == f.TYPE
    assert f.canonical_column("Gift Card") is None


def test_tags_are_trimmed_and_deduplicated() -> None:
    assert f.normalise_tags(" summer,  cotton ,Summer,, sale ") == "summer, cotton, sale"
