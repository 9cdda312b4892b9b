"""Turning a cart into an order: re-priced, stock allocated, payment started, in one transaction."""
