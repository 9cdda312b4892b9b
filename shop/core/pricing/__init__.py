"""Prices, discounts, shipping and tax: integers of minor units, rounded half up per line.

See `rounding` for the rule; `calculator.calculate` is the one function that turns lines
into totals, for carts and orders alike.
"""
