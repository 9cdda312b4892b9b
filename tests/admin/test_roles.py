"""Each role, through real requests: what it may not do answers 403, what it may do works."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from shop.core.db import unit_of_work
from shop.core.staff.models import StaffRole
from tests.admin.conftest import AdminClient
from tests.admin.seed import Seeded, seed

OWNER, MANAGER, SUPPORT, VIEWER = StaffRole


@pytest.fixture
def seeded(app: FastAPI) -> Seeded:
    with unit_of_work(app.state.sessions) as session:
        return seed(session)


def _checks(s: Seeded) -> list[tuple[str, str, dict[StaffRole, bool]]]:
    """(method, url, {role: allowed}); GETs of forms, POSTs of edits, action pages."""
    p, o, r, lvl = s.product.id, s.order.id, s.review.id, s.level.id
    all_ = dict.fromkeys(StaffRole, True)
    only = lambda *roles: {role: role in roles for role in StaffRole}  # noqa: E731
    return [
        ("GET", "/admin/product/list", all_),
        ("GET", f"/admin/product/details/{p}", all_),
        ("GET", "/admin/product/create", only(OWNER, MANAGER)),
        ("GET", f"/admin/product/edit/{p}", only(OWNER, MANAGER)),
        ("POST", f"/admin/product/edit/{p}", only(OWNER, MANAGER)),
        ("ACTION", f"/admin/product/action/publish?pks={p}", only(OWNER, MANAGER)),
        ("ACTION", f"/admin/stock-level/action/adjust?pks={lvl}", only(OWNER, MANAGER)),
        ("GET", "/admin/order/list", all_),
        ("GET", f"/admin/order/details/{o}", all_),
        ("GET", "/admin/order/export/csv", only(OWNER, MANAGER)),
        ("ACTION", f"/admin/order/action/refund?pks={o}", only(OWNER, MANAGER, SUPPORT)),
        ("ACTION", f"/admin/order/action/fulfil?pks={o}", only(OWNER, MANAGER, SUPPORT)),
        ("ACTION", f"/admin/order/action/cancel?pks={o}", only(OWNER, MANAGER, SUPPORT)),
        ("ACTION", f"/admin/order/action/resend-confirmation?pks={o}", only(OWNER, MANAGER, SUPPORT)),
        ("ACTION", f"/admin/order/action/mark-paid?pks={o}", only(OWNER, MANAGER)),
        ("GET", "/admin/customer/export/csv", only(OWNER, MANAGER)),
        ("GET", "/admin/product/export/csv", only(OWNER, MANAGER, VIEWER)),
        ("GET", "/admin/customer/list", all_),
        ("GET", f"/admin/customer/edit/{s.customer.id}", only(OWNER, MANAGER)),
        ("ACTION", f"/admin/review/action/approve?pks={r}", only(OWNER, MANAGER, SUPPORT)),
        ("DELETE", f"/admin/review/delete?pks={r}", only(OWNER, MANAGER)),
        ("GET", "/admin/discount-code/create", only(OWNER, MANAGER)),
        ("ACTION", "/admin/discount-code/action/generate", only(OWNER, MANAGER)),
        ("GET", "/admin/shipping-method/create", only(OWNER, MANAGER)),
        ("GET", "/admin/tax-rate/list", only(OWNER, MANAGER, VIEWER)),
        ("GET", "/admin/discount-code/list", only(OWNER, MANAGER, VIEWER)),
        ("GET", "/admin/product-csv", all_),
        ("GET", "/admin/product-csv/export", only(OWNER, MANAGER, VIEWER)),
        ("POST", "/admin/product-csv/preview", only(OWNER, MANAGER)),
        ("GET", "/admin/staff-user/list", only(OWNER)),
        ("GET", "/admin/staff-user/create", only(OWNER)),
        ("GET", "/admin/staff-group/list", only(OWNER)),
        ("GET", "/admin/audit-log/list", only(OWNER, MANAGER, VIEWER)),
        ("GET", "/admin/stock-movement/list", all_),
    ]


def _request(client: AdminClient, method: str, url: str):  # type: ignore[no-untyped-def]
    token = client.csrf
    if method == "GET":
        return client.http.get(url, follow_redirects=False)
    if method == "POST":
        return client.http.post(url, data={"csrf_token": token}, follow_redirects=False)
    if method == "DELETE":
        return client.http.delete(url, headers={"X-CSRF-Token": token}, follow_redirects=False)
    return client.http.get(url, params={"csrf_token": token}, follow_redirects=False)


@pytest.mark.parametrize("role", list(StaffRole))
def test_role_matrix(as_role: Callable[[StaffRole], AdminClient], seeded: Seeded, role: StaffRole) -> None:
    client = as_role(role)
    for method, url, allowed in _checks(seeded):
        response = _request(client, method, url)
        if allowed[role]:
            assert response.status_code in (200, 302, 400), (role, method, url, response.status_code)
            if response.status_code == 302:
                assert "/login" not in response.headers["location"], (role, url)
        else:
            assert response.status_code == 403, (role, method, url, response.status_code)


def test_forbidden_views_are_left_out_of_the_menu(
    as_role: Callable[[StaffRole], AdminClient], seeded: Seeded
) -> None:
    viewer = as_role(VIEWER).http.get("/admin/").text
    assert "/admin/staff-user/list" not in viewer
    assert "/admin/product/list" in viewer
    owner = as_role(OWNER).http.get("/admin/").text
    assert "/admin/staff-user/list" in owner


def test_group_grants_add_to_a_role(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient], seeded: Seeded
) -> None:
    from shop.core.staff.models import StaffGroup, StaffGroupAccess, StaffUser

    with unit_of_work(app.state.sessions) as session:
        group = StaffGroup(
            name="Catalog editors", accesses=[StaffGroupAccess(identity="product", action="edit")]
        )
        user = session.query(StaffUser).filter_by(role=VIEWER).one()
        user.groups.append(group)
    viewer = as_role(VIEWER)
    assert viewer.http.get(f"/admin/product/edit/{seeded.product.id}").status_code == 200
    assert viewer.http.get("/admin/product/create").status_code == 403


def test_owner_creates_a_group_with_grants(app: FastAPI, as_role: Callable[[StaffRole], AdminClient]) -> None:
    from shop.core.staff.models import StaffGroup

    owner = as_role(OWNER)
    made = owner.post(
        "/admin/staff-group/create",
        {
            "name": "Stock takers",
            "permissions": ["stock-level:list", "stock-level:action:count"],
            "save": "Save",
        },
        follow_redirects=False,
    )
    assert made.status_code == 302, made.text[-2000:]
    with app.state.sessions() as session:
        group = session.query(StaffGroup).one()
        assert sorted(f"{a.identity}:{a.action}" for a in group.accesses) == [
            "stock-level:action:count",
            "stock-level:list",
        ]
