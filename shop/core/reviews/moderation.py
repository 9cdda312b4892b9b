"""Approving and rejecting reviews, in bulk."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shop.core.catalog.models import Product
from shop.core.db import utcnow
from shop.core.notifications.services import SITE_REBUILD, enqueue
from shop.core.reviews.models import Review, ReviewStatus


def moderate_reviews(
    session: Session, review_ids: Sequence[int], *, status: ReviewStatus, actor: str
) -> list[int]:
    """Set the reviews' status; the ids that changed. Their products' pages are rebuilt."""
    if status is ReviewStatus.PENDING:
        raise ValueError("moderation approves or rejects")
    if not review_ids:
        return []
    now = utcnow()
    changed = sorted(session.execute(
        update(Review)
        .where(Review.id.in_(list(review_ids)), Review.status != status)
        .values(status=status, moderated_at=now, moderated_by=actor, updated_at=now)
        .returning(Review.id)
        .execution_options(synchronize_session=False)
    ).scalars())
    if changed:
        product_ids = sorted(set(session.scalars(select(Review.product_id).where(Review.id.in_(changed)))))
        # The static product pages show approved reviews: they are out of date now.
        session.execute(update(Product).where(Product.id.in_(product_ids)).values(updated_at=now)
                        .execution_options(synchronize_session=False))
        enqueue(session, SITE_REBUILD, {"reason": "reviews", "product_ids": product_ids})
    session.expire_all()
    return changed
