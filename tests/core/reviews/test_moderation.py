from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.core.audit.models import AuditLog
from shop.core.notifications.models import OutboxEvent
from shop.core.notifications.services import SITE_REBUILD
from shop.core.reviews.models import Review, ReviewStatus
from shop.core.reviews.services import moderate_reviews, rating_summary
from tests.factories import make_product


def _review(session: Session, product_id: int, rating: int, status: ReviewStatus) -> Review:
    review = Review(
        product_id=product_id,
        author_name="A",
        email=f"{rating}{status}@x.com",
        rating=rating,
        body="b",
        status=status,
    )
    session.add(review)
    session.flush()
    return review


def test_moderation_changes_only_what_differs_and_leaves_a_trail(session: Session) -> None:
    product = make_product(session)
    pending = [_review(session, product.id, r, ReviewStatus.PENDING) for r in (3, 4)]
    approved = _review(session, product.id, 5, ReviewStatus.APPROVED)
    ids = [r.id for r in [*pending, approved]]

    assert moderate_reviews(session, ids, approve=True, actor="owner@shop.test") == sorted(
        r.id for r in pending
    )
    session.expire_all()
    assert {r.status for r in session.scalars(select(Review))} == {ReviewStatus.APPROVED}
    assert all(r.moderated_by == "owner@shop.test" for r in pending)
    assert rating_summary(session, product).count == 3
    trail = session.scalars(select(AuditLog).where(AuditLog.object_type == "review")).all()
    assert sorted(int(a.object_id or 0) for a in trail) == sorted(r.id for r in pending)
    rebuild = session.scalars(select(OutboxEvent).where(OutboxEvent.topic == SITE_REBUILD)).one()
    assert rebuild.payload == {"reason": "reviews", "product_ids": [product.id]}

    assert moderate_reviews(session, [approved.id, approved.id], approve=False, actor="o") == [approved.id]
    assert moderate_reviews(session, [], approve=True, actor="o") == []
    assert moderate_reviews(session, [999_999], approve=True, actor="o") == []
    assert rating_summary(session, product).histogram == {1: 0, 2: 0, 3: 1, 4: 1, 5: 0}
