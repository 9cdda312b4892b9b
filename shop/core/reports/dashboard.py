"""The figures on the admin's home page, each one indexed query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.core.catalog.models import Category, Collection, Product, Variant
from shop.core.db import utcnow
from shop.core.inventory.models import Location, StockLevel
from shop.core.orders.models import FulfillmentStatus, Order, OrderStatus
from shop.core.reviews.models import Review, ReviewStatus
from shop.core.site.models import SiteRun

PERIODS = (("Today", 0), ("7 days", 7), ("30 days", 30))
UTC_ZONE = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class Sales:
    label: str
    orders: int
    revenue: int
    average: int


@dataclass(frozen=True, slots=True)
class LowStock:
    sku: str
    title: str
    location: str
    available: int
    threshold: int


@dataclass(frozen=True, slots=True)
class Run:
    kind: str
    started_at: datetime
    finished_at: datetime | None
    error: str


@dataclass(frozen=True, slots=True)
class Dashboard:
    currency: str
    sales: list[Sales]
    awaiting_fulfilment: int
    low_stock: list[LowStock]
    pending_reviews: int
    last_build: Run | None
    last_publish: Run | None
    unpublished_changes: int


def sales(session: Session, currency: str, now: datetime, zone: ZoneInfo = UTC_ZONE) -> list[Sales]:
    """Paid orders since the store's midnight (today, and the days before it)."""
    today = now.astimezone(zone).date()
    result = []
    for label, days in PERIODS:
        first = today - timedelta(days=days - 1) if days else today
        # Midnight of that day where the store is, as a UTC instant (right across DST changes).
        since = datetime.combine(first, time(), zone).astimezone(UTC)
        count, revenue = session.execute(
            select(func.count(), func.coalesce(func.sum(Order.total), 0)).where(
                Order.paid_at >= since, Order.currency == currency
            )
        ).one()
        result.append(Sales(label, count, int(revenue), int(revenue) // count if count else 0))
    return result


def low_stock(session: Session, limit: int = 10) -> list[LowStock]:
    available = StockLevel.on_hand - StockLevel.allocated
    # Pick the few levels first, then join: joining every low row before the limit is the slow part.
    lowest = (
        select(StockLevel.id, available.label("available"))
        .where(available <= StockLevel.low_stock_threshold, StockLevel.allow_negative.is_(False))
        .order_by(available, StockLevel.id)
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(Variant.sku, Product.title, Location.name, lowest.c.available, StockLevel.low_stock_threshold)
        .select_from(lowest)
        .join(StockLevel, StockLevel.id == lowest.c.id)
        .join(StockLevel.variant)
        .join(Variant.product)
        .join(StockLevel.location)
        .order_by(lowest.c.available, StockLevel.id)
    )
    return [LowStock(*row) for row in rows]


def last_run(session: Session, kind: str) -> Run | None:
    row = session.execute(
        select(SiteRun.kind, SiteRun.started_at, SiteRun.finished_at, SiteRun.error)
        .where(SiteRun.kind == kind)
        .order_by(SiteRun.started_at.desc())
        .limit(1)
    ).first()
    return Run(*row) if row else None


def unpublished_changes(session: Session, since: datetime | None) -> int:
    """Catalog rows changed since the last publish started (all of them before the first)."""
    total = 0
    for model in (Product, Variant, Category, Collection):
        query = select(func.count()).select_from(model)
        if since is not None:
            query = query.where(model.updated_at > since)
        total += session.scalar(query) or 0
    return total


def dashboard(
    session: Session, *, currency: str, timezone: str = "UTC", now: datetime | None = None
) -> Dashboard:
    now = now or utcnow()
    publish = last_run(session, "publish")
    return Dashboard(
        currency=currency,
        sales=sales(session, currency, now, ZoneInfo(timezone)),
        awaiting_fulfilment=session.scalar(
            select(func.count()).where(
                Order.status == OrderStatus.OPEN, Order.fulfillment_status != FulfillmentStatus.FULFILLED
            )
        )
        or 0,
        low_stock=low_stock(session),
        pending_reviews=session.scalar(select(func.count()).where(Review.status == ReviewStatus.PENDING))
        or 0,
        last_build=last_run(session, "build"),
        last_publish=publish,
        unpublished_changes=unpublished_changes(session, publish.started_at if publish else None),
    )
