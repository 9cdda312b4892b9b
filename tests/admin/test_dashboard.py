from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi import FastAPI

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
