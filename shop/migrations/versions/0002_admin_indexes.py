"""Indexes for the admin: sales by payment time, catalog changes since a publish, and
trigram indexes (PostgreSQL) for substring search in products, variants, orders, customers.

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

SEARCH = {
    "products": ("title", "vendor"),
    "variants": ("sku", "barcode"),
    "orders": ("email",),
    "customers": ("email", "first_name", "last_name"),
}


def upgrade() -> None:
    op.create_index("ix_orders_paid_at", "orders", ["paid_at"])
    op.create_index("ix_products_updated_at", "products", ["updated_at"])
    op.create_index("ix_variants_updated_at", "variants", ["updated_at"])
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table, columns in SEARCH.items():
            for column in columns:
                op.create_index(
                    f"ix_{table}_{column}_trgm",
                    table,
                    [column],
                    postgresql_using="gin",
                    postgresql_ops={column: "gin_trgm_ops"},
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, columns in SEARCH.items():
            for column in columns:
                op.drop_index(f"ix_{table}_{column}_trgm", table_name=table)
    op.drop_index("ix_variants_updated_at", table_name="variants")
    op.drop_index("ix_products_updated_at", table_name="products")
    op.drop_index("ix_orders_paid_at", table_name="orders")
