"""The admin's JavaScript in a real browser: sqladmin's action links and deletes carry the
CSRF token, so they work; sign-in, a bulk action and a delete, end to end."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select

from shop.core.catalog.models import Product, ProductStatus
from shop.core.db import unit_of_work
from shop.core.staff.models import StaffRole
from shop.core.staff.services import create_staff_user
from tests.admin.conftest import PASSWORD
from tests.factories import make_product
from tests.live_server import free_port

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's Chromium (apt-get install chromium)"),
]


@pytest.fixture
def server(app: FastAPI) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_sign_in_bulk_publish_and_delete_in_a_browser(app: FastAPI, server: str) -> None:
    from playwright.sync_api import sync_playwright

    with unit_of_work(app.state.sessions) as session:
        create_staff_user(session, email="owner@shop.test", password=PASSWORD, role=StaffRole.OWNER)
        ids = [make_product(session, status=ProductStatus.DRAFT, title=f"Draft {n}").id for n in range(2)]

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(f"{server}/admin/login")
            page.fill("#email", "owner@shop.test")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_selector("#dashboard")

            page.goto(f"{server}/admin/product/list")
            page.locator(".select-box").first.check()  # newest first: the second product
            page.click("#dropdownMenuButton")
            page.click("#action-custom-publish")
            page.wait_for_url("**/product/action/publish?*")
            assert "csrf_token=" in page.url
            page.click("button:has-text('Publish products')")
            page.wait_for_load_state()
            with app.state.sessions() as session:
                statuses = dict(session.execute(select(Product.id, Product.status)).all())
            assert statuses == {ids[0]: ProductStatus.DRAFT, ids[1]: ProductStatus.ACTIVE}

            page.goto(f"{server}/admin/product/details/{ids[0]}")
            page.click("a.btn-danger[data-bs-target='#modal-delete']")
            page.click("#modal-delete-button")
            page.wait_for_url("**/admin/product/list*")
            with app.state.sessions() as session:
                assert session.scalars(select(Product.id)).all() == [ids[1]]
        finally:
            browser.close()
