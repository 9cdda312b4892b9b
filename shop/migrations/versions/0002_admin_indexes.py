"""Indexes for the admin dashboard: sales by payment time, catalog changes since a publish.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 09:40:31
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_orders_paid_at", "orders", ["paid_at"])
    op.create_index("ix_products_updated_at", "products", ["updated_at"])
    op.create_index("ix_variants_updated_at", "variants", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_variants_updated_at", table_name="variants")
    op.drop_index("ix_products_updated_at", table_name="products")
    op.drop_index("ix_orders_paid_at", table_name="orders")
