"""A variant names its image (variants.image_id) instead of an image naming one variant
(product_images.variant_id), so several variants can share one picture.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("variants") as batch_op:
        batch_op.add_column(sa.Column("image_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_variants_image_id_product_images"),
            "product_images",
            ["image_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_variants_image_id"), ["image_id"], unique=False)
    # Each variant keeps the image that named it (the first by position, if several did).
    op.execute(
        "UPDATE variants SET image_id = (SELECT i.id FROM product_images i "
        "WHERE i.variant_id = variants.id ORDER BY i.position, i.id LIMIT 1)"
    )
    with op.batch_alter_table("product_images") as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_images_variant_id"))
        batch_op.drop_constraint(batch_op.f("fk_product_images_variant_id_variants"), type_="foreignkey")
        batch_op.drop_column("variant_id")


def downgrade() -> None:
    with op.batch_alter_table("product_images") as batch_op:
        batch_op.add_column(sa.Column("variant_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_product_images_variant_id_variants"),
            "variants",
            ["variant_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(batch_op.f("ix_product_images_variant_id"), ["variant_id"], unique=False)
    # An image can name one variant only: of those sharing it, the first keeps the link.
    op.execute(
        "UPDATE product_images SET variant_id = (SELECT MIN(v.id) FROM variants v "
        "WHERE v.image_id = product_images.id)"
    )
    with op.batch_alter_table("variants") as batch_op:
        batch_op.drop_index(batch_op.f("ix_variants_image_id"))
        batch_op.drop_constraint(batch_op.f("fk_variants_image_id_product_images"), type_="foreignkey")
        batch_op.drop_column("image_id")
