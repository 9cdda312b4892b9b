from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.orm import Session

from shop.config import Settings
from shop.core.db import unit_of_work, utcnow
from shop.core.orders.models import Order, OrderStatus, PaymentStatus
from shop.core.reports.dashboard import dashboard
from shop.core.reviews.models import Review
from shop.core.site.models import SiteRun
from shop.core.staff.models import StaffRole
from tests.admin.conftest import AdminClient
from tests.factories import make_product


def _order(
    number: int, total: int, paid_days_ago: int | None, status: OrderStatus = OrderStatus.OPEN
) -> Order:
    paid = utcnow() - timedelta(days=paid_days_ago) if paid_days_ago is not None else None
    return Order(
        number=number,
        token=f"t{number}",
        email="a@example.com",
        currency="EUR",
        subtotal=total,
        total=total,
        status=status if paid else OrderStatus.PENDING_PAYMENT,
        payment_status=PaymentStatus.PAID if paid else PaymentStatus.PENDING,
        paid_at=paid,
    )


def test_dashboard_figures(app: FastAPI, as_role: Callable[[StaffRole], AdminClient]) -> None:
    with unit_of_work(app.state.sessions) as session:
        low = make_product(session, sku="LOW-1", stock=2)
        make_product(session, sku="PLENTY-1", stock=50)
        session.add_all(
            [
                _order(1, 1000, 0),
                _order(2, 3000, 0, OrderStatus.COMPLETED),
                _order(3, 500, 3),
                _order(4, 7000, 20),
                _order(5, 9900, 45),
                _order(6, 1234, None),
                Review(product_id=low.id, author_name="A", email="a@example.com", rating=4),
                SiteRun(kind="build", started_at=utcnow() - timedelta(hours=2)),
            ]
        )
    with unit_of_work(app.state.sessions) as session:
        session.add(SiteRun(kind="publish", started_at=utcnow(), finished_at=utcnow()))
        session.flush()
        figures = dashboard(session, currency="EUR")
    today, week, month = figures.sales
    assert (today.orders, today.revenue, today.average) == (2, 4000, 2000)
    assert (week.orders, week.revenue) == (3, 4500)
    assert (month.orders, month.revenue) == (4, 11500)
    assert figures.awaiting_fulfilment == 4  # paid, open, not shipped
    assert [v.sku for v in figures.low_stock] == ["LOW-1"]
    assert figures.pending_reviews == 1
    assert figures.last_build is not None and figures.last_publish is not None
    assert figures.unpublished_changes == 0  # nothing changed since the publish started

    with unit_of_work(app.state.sessions) as session:
        session.get(type(low), low.id).title = "Renamed"
    page = as_role(StaffRole.VIEWER).http.get("/admin/")
    assert page.status_code == 200
    assert "40.00 EUR" in page.text and 'id="unpublished-changes">1<' in page.text and "LOW-1" in page.text


def test_days_begin_at_the_stores_midnight(session: Session) -> None:
    def paid_at(when: datetime, number: int) -> Order:
        order = _order(number, 1000 * number, 0)
        order.paid_at = when
        return order

    now = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # 01:30 on 2 July in Berlin (summer time)
    session.add_all(
        [
            paid_at(datetime(2026, 7, 1, 21, 30, tzinfo=UTC), 1),  # 23:30 on 1 July in Berlin
            paid_at(datetime(2026, 7, 1, 22, 15, tzinfo=UTC), 2),  # 00:15 on 2 July in Berlin
        ]
    )
    session.flush()
    in_utc = dashboard(session, currency="EUR", now=now).sales[0]
    in_berlin = dashboard(session, currency="EUR", timezone="Europe/Berlin", now=now).sales[0]
    assert (in_utc.orders, in_utc.revenue) == (2, 3000)
    assert (in_berlin.orders, in_berlin.revenue) == (1, 2000)


def test_an_unknown_time_zone_is_refused_with_the_setting_named() -> None:
    with pytest.raises(ValidationError, match="'Mars/Olympus' is not an IANA time zone"):
        Settings(timezone="Mars/Olympus")
