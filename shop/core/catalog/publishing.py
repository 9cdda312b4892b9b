"""Changing products' status in bulk: publish, unpublish, archive."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from shop.core.catalog.models import Product, ProductStatus
from shop.core.db import utcnow


def set_status(session: Session, product_ids: Sequence[int], status: ProductStatus) -> list[int]:
    """Give the products `status`; the ids of those that changed (others already had it).

    One UPDATE: bumps `version` like an ORM edit would, so an admin form opened before
    this change refuses to overwrite it, and the build sees the rows as changed.
    """
    if not product_ids:
        return []
    now = utcnow()
    values: dict[str, object] = {"status": status, "updated_at": now, "version": Product.version + 1}
    if status is ProductStatus.ACTIVE:
        values["published_at"] = case((Product.published_at.is_(None), now), else_=Product.published_at)
    result = session.execute(
        update(Product)
        .where(Product.id.in_(list(product_ids)), Product.status != status)
        .values(values)
        .returning(Product.id)
        .execution_options(synchronize_session=False)
    )
    changed = sorted(result.scalars())
    session.expire_all()
    return changed
