"""Reviews: shoppers write them, the merchant moderates them, the storefront shows approved ones."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session

from shop.core.audit.services import record_audit
from shop.core.catalog.models import Product, ProductStatus
from shop.core.customers.models import Customer
from shop.core.db import utcnow
from shop.core.errors import Conflict, InvalidInput, NotFound
from shop.core.notifications.services import SITE_REBUILD, enqueue
from shop.core.orders.models import Order, OrderLine
from shop.core.reviews.models import Review, ReviewStatus
from shop.core.staff.services import normalise_email

MAX_TITLE = 200
MAX_BODY = 5000
MAX_NAME = 100
# Text a shopper can type; control characters (other than newlines and tabs) are refused.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class RatingSummary:
    count: int
    average: float | None
    histogram: dict[int, int]


@dataclass(frozen=True, slots=True)
class ReviewPage:
    reviews: list[Review]
    total: int
    summary: RatingSummary


def published_product(session: Session, slug: str, *, now: datetime) -> Product:
    product = session.scalar(
        select(Product).where(
            Product.slug == slug,
            Product.status == ProductStatus.ACTIVE,
            or_(Product.published_at.is_(None), Product.published_at <= now),
        )
    )
    if product is None:
        raise NotFound(f"no product {slug!r}", field="slug")
    return product


def rating_summary(session: Session, product: Product) -> RatingSummary:
    rows = session.execute(
        select(Review.rating, func.count())
        .where(Review.product_id == product.id, Review.status == ReviewStatus.APPROVED)
        .group_by(Review.rating)
    ).all()
    histogram = {stars: 0 for stars in range(1, 6)}
    for stars, count in rows:
        histogram[int(stars)] = int(count)
    count = sum(histogram.values())
    average = round(sum(s * n for s, n in histogram.items()) / count, 2) if count else None
    return RatingSummary(count=count, average=average, histogram=histogram)


def approved_reviews(session: Session, slug: str, *, page: int, per_page: int, now: datetime) -> ReviewPage:
    product = published_product(session, slug, now=now)
    summary = rating_summary(session, product)
    reviews = session.scalars(
        select(Review)
        .where(Review.product_id == product.id, Review.status == ReviewStatus.APPROVED)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return ReviewPage(reviews=list(reviews), total=summary.count, summary=summary)


def _text(value: str, *, field: str, limit: int, required: bool = False) -> str:
    cleaned = value.strip().replace("\r\n", "\n")
    if _CONTROL.search(cleaned):
        raise InvalidInput("contains control characters", field=field)
    if len(cleaned) > limit:
        raise InvalidInput(f"at most {limit} characters", field=field)
    if required and not cleaned:
        raise InvalidInput("required", field=field)
    return cleaned


def bought(session: Session, *, email: str, product: Product) -> bool:
    """Whether a paid order under this address contains the product."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Order.email == email,
                    Order.paid_at.is_not(None),
                    OrderLine.order_id == Order.id,
                    OrderLine.product_id == product.id,
                )
            )
        )
    )


def submit_review(
    session: Session,
    *,
    slug: str,
    rating: int,
    title: str,
    body: str,
    author_name: str | None,
    email: str | None,
    customer: Customer | None,
    now: datetime,
) -> Review:
    """A new review, pending moderation; a signed-in customer's name and address are their own."""
    product = published_product(session, slug, now=now)
    if not 1 <= rating <= 5:
        raise InvalidInput("a rating is 1 to 5 stars", field="rating")
    if customer is not None:
        address = customer.email
        default_name = f"{customer.first_name} {customer.last_name}".strip() or address.split("@")[0]
        name = _text(author_name or default_name, field="author_name", limit=MAX_NAME)
    else:
        if not email:
            raise InvalidInput("required unless signed in", field="email")
        address = normalise_email(email)
        name = _text(author_name or "", field="author_name", limit=MAX_NAME, required=True)
    review = Review(
        product_id=product.id,
        customer_id=customer.id if customer else None,
        author_name=name,
        email=address,
        rating=rating,
        title=_text(title, field="title", limit=MAX_TITLE),
        body=_text(body, field="body", limit=MAX_BODY, required=True),
        status=ReviewStatus.PENDING,
        verified_purchase=bought(session, email=address, product=product),
        created_at=now,
        updated_at=now,
    )
    already = session.scalar(
        select(func.count()).where(
            Review.product_id == product.id,
            Review.email == address,
            Review.status != ReviewStatus.REJECTED,
        )
    )
    if already:
        raise Conflict("this address has already reviewed this product", field="email")
    session.add(review)
    session.flush()
    return review


def moderate_reviews(
    session: Session,
    review_ids: list[int],
    *,
    approve: bool,
    actor: str,
    now: datetime | None = None,
) -> list[int]:
    """Approve or reject reviews; the ids whose status changed (one audit row each).

    Approved reviews appear on the static product pages, so a change asks for a rebuild of
    those pages through the outbox.
    """
    when = now or utcnow()
    target = ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED
    ids = sorted(set(review_ids))
    if not ids:
        return []
    changed = session.execute(
        update(Review)
        .where(Review.id.in_(ids), Review.status != target)
        .values(status=target, moderated_at=when, moderated_by=actor, updated_at=when)
        .returning(Review.id, Review.product_id)
    ).all()
    for review_id, _product_id in changed:
        record_audit(
            session,
            actor=actor,
            action="approve" if approve else "reject",
            object_type="review",
            object_id=review_id,
            changes={"status": target.value},
        )
    if changed:
        product_ids = sorted({product_id for _id, product_id in changed})
        enqueue(session, SITE_REBUILD, {"reason": "reviews", "product_ids": product_ids})
    session.flush()
    return [review_id for review_id, _product_id in changed]
