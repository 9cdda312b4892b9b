"""PostgreSQL draws order numbers from a sequence (`order_numbers`) instead of the counters
row, so concurrent checkouts take no lock for a number. It goes on from the counter (or the
highest order number, whichever is higher). SQLite keeps the counters row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 14:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE SEQUENCE order_numbers START WITH 1001")
    op.execute(
        "SELECT setval('order_numbers', GREATEST(1001, "
        "(SELECT COALESCE(MAX(value), 0) + 1 FROM counters WHERE name = 'order_number'), "
        "(SELECT COALESCE(MAX(number), 0) + 1 FROM orders)), false)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # The counter goes on from the last number the sequence gave.
    op.execute(
        "INSERT INTO counters (name, value) "
        "SELECT 'order_number', CASE WHEN is_called THEN last_value ELSE last_value - 1 END "
        "FROM order_numbers "
        "ON CONFLICT (name) DO UPDATE SET value = GREATEST(counters.value, excluded.value)"
    )
    op.execute("DROP SEQUENCE order_numbers")
