"""Form fields that show integers as what a merchant types: money and percentages.

Money is stored as integer minor units; the form shows and accepts decimals of the
store's currency ("12.50"), and refuses more decimals than the currency has.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from wtforms import StringField

from shop.core.money import Money


class _IntegerAsText(StringField):
    """An integer in `data`, shown to and typed by the merchant as `_show` writes it."""

    def process_data(self, value: Any) -> None:
        self.data = value

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is None or self.data == "":
            return ""
        return self._show(int(self.data))

    def _show(self, value: int) -> str:
        raise NotImplementedError


class MoneyField(_IntegerAsText):
    def __init__(
        self, label: str | None = None, validators: Any = None, *, currency: str = "EUR", **kwargs: Any
    ):
        super().__init__(label, validators, **kwargs)
        self.currency = currency

    def _show(self, value: int) -> str:
        return Money(value, self.currency).format()

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        text = str(valuelist[0]).strip()
        if text.count(",") == 1 and "." not in text:  # "12,50" as typed in much of Europe
            text = text.replace(",", ".")
        try:
            amount = Money.parse(text, self.currency).amount
        except (ValueError, InvalidOperation):
            self.data = None
            raise ValueError(f"enter an amount in {self.currency}, like 12.50") from None
        if amount < 0:
            self.data = None
            raise ValueError("the amount must not be negative")
        self.data = amount


class PercentField(_IntegerAsText):
    """Basis points shown as a percentage: 1900 is "19.00"."""

    def _show(self, value: int) -> str:
        return f"{Decimal(value) / 100:.2f}"

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            bps = Decimal(str(valuelist[0]).strip().rstrip("%")) * 100
        except InvalidOperation:
            self.data = None
            raise ValueError("enter a percentage like 19 or 7.5") from None
        if bps != bps.to_integral_value() or not 0 <= bps <= 10000:
            self.data = None
            raise ValueError("enter a percentage between 0 and 100 with at most two decimals")
        self.data = int(bps)


def format_money(amount: int | None, currency: str) -> str:
    return "" if amount is None else str(Money(int(amount), currency))
