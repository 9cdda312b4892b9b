"""Product reviews: the approved ones with their rating summary, and writing a new one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from shop.api.auth import OptionalCustomer
from shop.api.deps import ReadSessionDep, SessionDep
from shop.api.ratelimit import rate_limit
from shop.core.db import utcnow
from shop.core.reviews import services
from shop.core.reviews.models import ReviewStatus

router = APIRouter(prefix="/products/{slug}/reviews", tags=["reviews"])

# Shoppers see a new approval within a minute; the CDN and browsers may keep it that long.
CACHE_CONTROL = "public, max-age=60"


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rating: int
    title: str
    body: str
    author_name: str
    verified_purchase: bool
    created_at: datetime


class SummaryOut(BaseModel):
    count: int
    average: float | None
    histogram: dict[int, int] = Field(description="number of approved reviews per star, 1 to 5")


class ReviewList(BaseModel):
    summary: SummaryOut
    items: list[ReviewOut]
    total: int
    page: int
    per_page: int


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5)
    title: str = Field("", max_length=services.MAX_TITLE)
    body: str = Field(min_length=1, max_length=services.MAX_BODY)
    author_name: str | None = Field(None, max_length=services.MAX_NAME, description="required for guests")
    email: str | None = Field(None, max_length=320, description="required for guests; never shown")


class SubmittedOut(ReviewOut):
    status: ReviewStatus


@router.get("")
def list_reviews(
    slug: str,
    session: ReadSessionDep,
    response: Response,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=50)] = 10,
) -> ReviewList:
    result = services.approved_reviews(session, slug, page=page, per_page=per_page, now=utcnow())
    response.headers["Cache-Control"] = CACHE_CONTROL
    summary = result.summary
    return ReviewList(
        summary=SummaryOut(count=summary.count, average=summary.average, histogram=summary.histogram),
        items=[ReviewOut.model_validate(review) for review in result.reviews],
        total=result.total,
        page=page,
        per_page=per_page,
    )


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=[Depends(rate_limit("reviews"))])
def create_review(slug: str, body: ReviewIn, session: SessionDep, customer: OptionalCustomer) -> SubmittedOut:
    """A new review; it appears once the merchant approves it."""
    review = services.submit_review(
        session,
        slug=slug,
        rating=body.rating,
        title=body.title,
        body=body.body,
        author_name=body.author_name,
        email=body.email,
        customer=customer,
        now=utcnow(),
    )
    return SubmittedOut.model_validate(review)
