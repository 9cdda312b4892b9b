"""An SQLite store runs no separate worker: the API delivers its own outbox in a thread."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from shop.api import create_app
from shop.config import Settings
from shop.core.notifications.services import EMAIL_ORDER_CONFIRMATION, SITE_REBUILD, enqueue
from tests.factories import make_order, make_product
from tests.smtp_inbox import Inbox

Db = Callable[[], AbstractContextManager[Session]]


def test_the_embedded_app_delivers_its_own_outbox(settings: Settings, db: Db, smtp_inbox: Inbox) -> None:
    with db() as s:
        order = make_order(s, product=make_product(s), email="inprocess@example.com")
        enqueue(
            s,
            EMAIL_ORDER_CONFIRMATION,
            {
                "order_id": order.id,
                "order_number": order.number,
                "email": order.email,
                "resend": False,
            },
        )
    app = create_app(settings.model_copy(update={"smtp_url": smtp_inbox.url}), outbox_worker=True)
    with TestClient(app):
        deadline = time.monotonic() + 10
        while not smtp_inbox.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [m["To"] for m in smtp_inbox.messages] == ["inprocess@example.com"]


def test_the_embedded_app_rebuilds_the_storefront_after_a_catalog_change(settings: Settings, db: Db) -> None:
    with db() as s:
        product = make_product(s, title="Rebuilt In Process Lamp")
        enqueue(s, SITE_REBUILD, {"reason": "catalog", "product_ids": [product.id]})
        slug = product.slug
    page = settings.output_path / "products" / slug / "index.html"
    app = create_app(settings, outbox_worker=True)
    with TestClient(app):
        deadline = time.monotonic() + 60
        while not page.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert "Rebuilt In Process Lamp" in page.read_text()
