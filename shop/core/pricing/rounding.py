"""The one rounding rule of the shop, the one a merchant's accountant expects.

Every amount is an integer of minor units (cents). Wherever a division leaves a fraction
of a minor unit, the result is rounded half up (0.5 cent becomes 1 cent), and this happens
once per line and once for shipping, never on the order's sum:

- percent discount of a line: line subtotal * bps / 10000, rounded half up;
- a fixed discount is shared among lines in proportion to their subtotals (largest
  remainder first), so the shares add up to the code's value exactly;
- tax, prices including tax: tax = gross * rate / (10000 + rate), rounded half up;
- tax, prices excluding tax: tax = net * rate / 10000, rounded half up, added on top;
- the order's tax is the sum of its lines' and its shipping's rounded tax.

So the order's figures are always the sums of the figures printed on its lines.
"""

from __future__ import annotations


def divide_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (away from zero on .5), in exact integers."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    if numerator < 0:
        return -divide_half_up(-numerator, denominator)
    return (2 * numerator + denominator) // (2 * denominator)


def share_proportionally(total: int, weights: list[int]) -> list[int]:
    """Split `total` into integer shares proportional to `weights` that add up to `total`.

    Largest remainder method: each share is floored, then the units left over go to the
    shares with the largest remainders (earlier lines first on ties).
    """
    whole = sum(weights)
    if whole <= 0 or total == 0:
        return [0] * len(weights)
    floors = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return floors
