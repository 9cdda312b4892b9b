"""Money: an integer of minor units plus an ISO 4217 currency code. Never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Currencies whose minor unit is not 1/100.
_EXPONENTS = {
    "JPY": 0,
    "KRW": 0,
    "ISK": 0,
    "CLP": 0,
    "VND": 0,
    "BHD": 3,
    "KWD": 3,
    "JOD": 3,
    "OMR": 3,
    "TND": 3,
}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 code: {self.currency!r}")

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        """'12.5' -> 1250 cents; refuses more decimals than the currency has."""
        exp = exponent(currency)
        value = Decimal(text.strip())
        minor = value.scaleb(exp)
        if minor != minor.to_integral_value():
            raise ValueError(f"{text!r} has more than {exp} decimals for {currency}")
        return cls(int(minor), currency.upper())

    def decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-exponent(self.currency))

    def format(self) -> str:
        """Plain decimal string, e.g. '12.50' (what CSV files and feeds want)."""
        exp = exponent(self.currency)
        return f"{self.decimal():.{exp}f}"

    def __str__(self) -> str:
        return f"{self.format()} {self.currency}"


def percent_of(amount: int, basis_points: int) -> int:
    """`basis_points` of `amount` (10000 = 100%), rounded half up to a minor unit."""
    return int((Decimal(amount) * basis_points / 10000).quantize(Decimal(1), rounding=ROUND_HALF_UP))
