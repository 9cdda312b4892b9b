"""discounts domain."""
