from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from shop.config import Settings
from shop.core.catalog.models import Product, ProductStatus
from shop.core.db import unit_of_work
from shop.core.staff.models import StaffRole
from shop.core.staff.services import create_staff_user
from tests.admin.conftest import PASSWORD, AdminClient
from tests.factories import make_product


def test_sqladmin_alone_would_accept_a_forged_post_ours_refuses(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient]
) -> None:
    owner = as_role(StaffRole.OWNER)
    # A page on another site can make the browser POST with the admin's cookie, but cannot read the token.
    forged = owner.http.post(
        "/admin/tax-rate/create", data={"name": "Evil", "country": "DE", "rate_bps": "1"}
    )
    assert forged.status_code == 403
    wrong = owner.http.post(
        "/admin/tax-rate/create",
        data={"name": "Evil", "country": "DE", "rate_bps": "1", "csrf_token": "guess"},
    )
    assert wrong.status_code == 403
    real = owner.post(
        "/admin/tax-rate/create",
        {
            "name": "VAT",
            "country": "DE",
            "region": "",
            "rate_bps": "19",
            "prices_include_tax": "y",
            "save": "Save",
        },
        follow_redirects=False,
    )
    assert real.status_code == 302, real.text[-1500:]
    with app.state.sessions() as session:
        from shop.core.tax.models import TaxRate

        assert [(t.name, t.rate_bps) for t in session.query(TaxRate)] == [("VAT", 1900)]


def test_forged_delete_and_action_link_are_refused(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient]
) -> None:
    with unit_of_work(app.state.sessions) as session:
        product_id = make_product(session, status=ProductStatus.DRAFT).id
    owner = as_role(StaffRole.OWNER)
    assert owner.http.delete(f"/admin/product/delete?pks={product_id}").status_code == 403
    # sqladmin's action routes are plain GET links: without the token, not even the confirmation page.
    assert owner.http.get(f"/admin/product/action/publish?pks={product_id}").status_code == 403
    assert owner.http.post("/admin/product/action/publish", data={"pks": str(product_id)}).status_code == 403
    with app.state.sessions() as session:
        assert session.get(Product, product_id).status is ProductStatus.DRAFT
    # The confirmation page (with the token) changes nothing by itself either.
    page = owner.http.get(
        "/admin/product/action/publish", params={"pks": product_id, "csrf_token": owner.csrf}
    )
    assert page.status_code == 200 and 'method="POST"' in page.text
    with app.state.sessions() as session:
        assert session.get(Product, product_id).status is ProductStatus.DRAFT


def test_login_form_is_protected_too(app: FastAPI, staff: dict) -> None:
    http = TestClient(app, base_url="http://shop.test")
    response = http.post("/admin/login", data={"email": staff[StaffRole.OWNER], "password": PASSWORD})
    assert response.status_code == 403


@pytest.fixture
def tight_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "rate_limits": {
                **settings.rate_limits,
                "admin_login_account": "3/minute",
                "admin_login_address": "5/minute",
            }
        }
    )


def _try(http: TestClient, email: str, password: str):  # type: ignore[no-untyped-def]
    token = AdminClient(http, email).csrf
    return http.post(
        "/admin/login",
        data={"email": email, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def test_failed_sign_ins_are_throttled_per_account(tight_settings: Settings) -> None:
    from shop.api.app import create_app

    app = create_app(tight_settings)
    with unit_of_work(app.state.sessions) as session:
        create_staff_user(session, email="a@shop.test", password=PASSWORD, role=StaffRole.OWNER)
    http = TestClient(app, base_url="http://shop.test")
    assert [_try(http, "a@shop.test", "wrong-password").status_code for _ in range(3)] == [400] * 3
    blocked = _try(http, "a@shop.test", PASSWORD)  # even the right password waits now
    assert blocked.status_code == 429
    assert "Too many failed sign-ins" in blocked.text and int(blocked.headers["retry-after"]) > 0
    other = TestClient(app, base_url="http://shop.test", client=("10.0.0.2", 5000))
    assert _try(other, "a@shop.test", PASSWORD).status_code == 429  # per account, from anywhere


def test_failed_sign_ins_are_throttled_per_address(tight_settings: Settings) -> None:
    from shop.api.app import create_app

    app = create_app(tight_settings)
    with unit_of_work(app.state.sessions) as session:
        create_staff_user(session, email="b@shop.test", password=PASSWORD, role=StaffRole.OWNER)
    http = TestClient(app, base_url="http://shop.test")
    for n in range(5):
        assert _try(http, f"nobody{n}@shop.test", "wrong-password").status_code == 400
    assert _try(http, "b@shop.test", PASSWORD).status_code == 429
    elsewhere = TestClient(app, base_url="http://shop.test", client=("10.0.0.3", 5000))
    assert _try(elsewhere, "b@shop.test", PASSWORD).status_code == 302


def test_create_and_edit_forms_carry_the_token_without_javascript(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient]
) -> None:
    owner = as_role(StaffRole.OWNER)
    token = owner.csrf
    page = owner.http.get("/admin/shipping-method/create").text
    form = page[page.index('<form action="http://shop.test/admin/shipping-method/create"') :]
    form = form[: form.index("</form>")]
    assert f'name="csrf_token" type="hidden" value="{token}"' in form or f'value="{token}"' in form


def _redis_url() -> str | None:
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return None
    return url


def test_throttling_is_shared_by_processes_through_redis(tight_settings: Settings) -> None:
    import uuid

    from shop.api.app import create_app

    url = _redis_url()
    if url is None:
        pytest.skip("needs Redis at 127.0.0.1:6379")
    settings = tight_settings.model_copy(update={"redis_url": url})
    first, second = create_app(settings), create_app(settings)  # as two API processes would
    email = f"{uuid.uuid4().hex}@shop.test"  # Redis outlives the test: a name of its own
    with unit_of_work(first.state.sessions) as session:
        create_staff_user(session, email=email, password=PASSWORD, role=StaffRole.OWNER)
    one = TestClient(first, base_url="http://shop.test", client=(f"10.9.{uuid.uuid4().int % 250}.1", 1))
    two = TestClient(second, base_url="http://shop.test", client=(f"10.8.{uuid.uuid4().int % 250}.1", 1))
    for client in (one, two, one):
        assert _try(client, email, "wrong-password").status_code == 400
    assert _try(two, email, PASSWORD).status_code == 429
