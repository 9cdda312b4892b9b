from __future__ import annotations

from fastapi import FastAPI
from starlette.testclient import TestClient

from shop.api.app import create_app
from shop.config import Settings
from shop.core.db import unit_of_work
from shop.core.staff.models import StaffRole
from shop.core.staff.services import create_staff_user
from tests.admin.conftest import PASSWORD, AdminClient, sign_in


def test_signed_out_pages_redirect_to_login(app: FastAPI) -> None:
    with TestClient(app) as http:
        for url in ("/admin/", "/admin/product/list", "/admin/order/details/1", "/admin/product/create"):
            response = http.get(url, follow_redirects=False)
            assert response.status_code == 302, url
            assert response.headers["location"].endswith("/admin/login")


def test_sign_in_sets_a_safe_cookie_and_shows_the_dashboard(app: FastAPI, staff: dict) -> None:
    client = sign_in(app, staff[StaffRole.OWNER])
    cookie = client.http.cookies.jar
    assert any(c.name == "shop_admin" for c in cookie)
    home = client.http.get("/admin/")
    assert home.status_code == 200
    assert 'id="dashboard"' in home.text


def test_session_cookie_flags(app: FastAPI, staff: dict) -> None:
    http = TestClient(app, base_url="http://shop.test")
    token = AdminClient(http, "").csrf
    response = http.post(
        "/admin/login",
        data={"email": staff[StaffRole.VIEWER], "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header and "path=/admin" in header
    assert "secure" not in header  # the test store is http://


def test_wrong_password_and_inactive_account_are_refused(app: FastAPI, staff: dict) -> None:
    client = AdminClient(TestClient(app, base_url="http://shop.test"), "")
    bad = client.http.post(
        "/admin/login",
        data={"email": staff[StaffRole.OWNER], "password": "nope-nope-nope", "csrf_token": client.csrf},
        follow_redirects=False,
    )
    assert bad.status_code == 400
    assert "Wrong e-mail or password" in bad.text
    with app.state.sessions() as session, session.begin():
        from shop.core.staff.models import StaffUser

        session.query(StaffUser).filter_by(email=staff[StaffRole.SUPPORT]).update({"is_active": False})
    refused = client.http.post(
        "/admin/login",
        data={"email": staff[StaffRole.SUPPORT], "password": PASSWORD, "csrf_token": client.csrf},
        follow_redirects=False,
    )
    assert refused.status_code == 400


def test_deactivating_ends_an_open_session(app: FastAPI, staff: dict) -> None:
    client = sign_in(app, staff[StaffRole.MANAGER])
    assert client.http.get("/admin/product/list").status_code == 200
    from shop.core.staff.models import StaffUser

    with app.state.sessions() as session, session.begin():
        session.query(StaffUser).filter_by(email=staff[StaffRole.MANAGER]).update({"is_active": False})
    response = client.http.get("/admin/product/list", follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"].endswith("/admin/login")


def test_logout_needs_the_token_and_ends_the_session(app: FastAPI, staff: dict) -> None:
    client = sign_in(app, staff[StaffRole.OWNER])
    assert client.http.get("/admin/logout", follow_redirects=False).status_code == 403
    out = client.http.get("/admin/logout", params={"csrf_token": client.csrf}, follow_redirects=False)
    assert out.status_code == 302
    assert client.http.get("/admin/", follow_redirects=False).status_code == 302


def test_cookie_is_secure_when_the_site_is_https(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"site_url": "https://shop.test"}))
    with unit_of_work(app.state.sessions) as session:
        create_staff_user(session, email="tls@shop.test", password=PASSWORD, role=StaffRole.VIEWER)
    http = TestClient(app, base_url="https://shop.test")
    token = AdminClient(http, "").csrf
    response = http.post(
        "/admin/login",
        data={"email": "tls@shop.test", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert "secure" in response.headers["set-cookie"].lower()


def test_signed_out_actions_and_posts_are_refused(app: FastAPI) -> None:
    with TestClient(app, base_url="http://shop.test") as http:
        token = AdminClient(http, "").csrf  # a visitor's own session token does not sign them in
        for url in ("/admin/product/action/publish?pks=1", "/admin/order/action/refund?pks=1"):
            assert http.get(url, follow_redirects=False).status_code == 403
            response = http.get(url, params={"csrf_token": token}, follow_redirects=False)
            assert response.status_code == 302 and response.headers["location"].endswith("/admin/login")
        posted = http.post(
            "/admin/tax-rate/create", data={"name": "x", "csrf_token": token}, follow_redirects=False
        )
        assert posted.status_code == 302 and posted.headers["location"].endswith("/admin/login")
