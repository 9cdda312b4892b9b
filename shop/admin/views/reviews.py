"""Reviews, moderated before they appear on the storefront."""

from __future__ import annotations

from typing import Any

from sqladmin import action
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from shop.admin.actions import run_action
from shop.admin.auth import current_staff
from shop.admin.base import ShopModelView
from shop.admin.views.filters import enum_filter
from shop.core.reviews.models import Review, ReviewStatus
from shop.core.reviews.services import moderate_reviews


class ReviewAdmin(ShopModelView, model=Review):
    icon = "fa-solid fa-star"
    can_create = can_edit = False
    column_list = [
        Review.id,
        Review.created_at,
        Review.product,
        Review.rating,
        Review.title,
        Review.author_name,
        Review.verified_purchase,
        Review.status,
    ]
    column_searchable_list = [Review.title, Review.body, Review.author_name, Review.email]
    column_sortable_list = [Review.created_at, Review.rating, Review.status]
    column_default_sort = [(Review.id, True)]
    column_filters = [enum_filter(Review.status, ReviewStatus)]

    async def _moderate(self, request: Request, status: ReviewStatus, title: str) -> Response:
        actor = current_staff(request).email
        approve = status is ReviewStatus.APPROVED

        def run(session: Session, pks: list[int], _data: dict[str, Any]) -> str:
            # The service writes one audit row per review it changed.
            changed = moderate_reviews(session, pks, approve=approve, actor=actor)
            unchanged = len(pks) - len(changed)
            return f"{len(changed)} review(s) now {status.value}" + (
                f"; {unchanged} already were." if unchanged else "."
            )

        return await run_action(self, request, title=title, run=run, describe=_describe)

    @action("approve", "Approve")
    async def approve(self, request: Request) -> Response:
        return await self._moderate(request, ReviewStatus.APPROVED, "Approve reviews")

    @action("reject", "Reject")
    async def reject(self, request: Request) -> Response:
        return await self._moderate(request, ReviewStatus.REJECTED, "Reject reviews")


def _describe(session: Session, pks: list[int]) -> list[str]:
    rows = session.execute(
        select(Review.id, Review.rating, Review.title, Review.status).where(Review.id.in_(pks))
    )
    return [f"#{i} {r}/5 “{t}” ({s.value})" for i, r, t, s in rows]


VIEWS = [ReviewAdmin]
