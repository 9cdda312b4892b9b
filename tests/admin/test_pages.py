"""Every view's pages render for the owner, with data in them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from shop.core.db import unit_of_work
from shop.core.staff.models import StaffRole
from tests.admin.conftest import AdminClient
from tests.admin.seed import Seeded, seed

IDENTITIES = [
    "product",
    "variant",
    "category",
    "collection",
    "location",
    "stock-level",
    "stock-movement",
    "order",
    "customer",
    "review",
    "discount-code",
    "shipping-method",
    "tax-rate",
    "staff-user",
    "staff-group",
    "audit-log",
]


@pytest.fixture
def seeded(app: FastAPI) -> Seeded:
    with unit_of_work(app.state.sessions) as session:
        return seed(session)


@pytest.mark.parametrize("identity", IDENTITIES)
def test_list_and_first_row_render(
    as_role: Callable[[StaffRole], AdminClient], seeded: Seeded, identity: str
) -> None:
    owner = as_role(StaffRole.OWNER)
    listing = owner.http.get(f"/admin/{identity}/list")
    assert listing.status_code == 200, listing.text[-2000:]
    searched = owner.http.get(f"/admin/{identity}/list", params={"search": "a"})
    assert searched.status_code == 200
    view = owner.http.app.state.admin._find_model_view(identity)  # type: ignore[attr-defined]
    if view.can_create:
        page = owner.http.get(f"/admin/{identity}/create")
        assert page.status_code == 200, page.text[-2000:]


def test_details_and_edit_pages(as_role: Callable[[StaffRole], AdminClient], seeded: Seeded) -> None:
    owner = as_role(StaffRole.OWNER)
    for url in (
        f"/admin/product/details/{seeded.product.id}",
        f"/admin/product/edit/{seeded.product.id}",
        f"/admin/order/details/{seeded.order.id}",
        f"/admin/stock-level/edit/{seeded.level.id}",
        f"/admin/customer/edit/{seeded.customer.id}",
        f"/admin/review/details/{seeded.review.id}",
    ):
        page = owner.http.get(url)
        assert page.status_code == 200, (url, page.text[-3000:])
    order = owner.http.get(f"/admin/order/details/{seeded.order.id}").text
    assert "TEE-1" in order and "39.98 EUR" in order and "manual" in order


def test_order_search_by_number_and_email(
    as_role: Callable[[StaffRole], AdminClient], seeded: Seeded
) -> None:
    owner = as_role(StaffRole.OWNER)
    for term, found in (
        ("1001", True),
        ("#1001", True),
        ("ann@exa", True),
        ("ANN@EXA", True),
        ("1002", False),
        ("nobody", False),
    ):
        page = owner.http.get("/admin/order/list", params={"search": term}).text
        assert ("ann@example.com" in page) is found, term
