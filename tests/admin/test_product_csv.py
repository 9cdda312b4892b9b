"""The admin's CSV page: preview (dry run) with row errors, then import; export; permissions."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy import func, select

from shop.admin.views.product_csv import PREVIEW_TTL
from shop.core.audit.models import AuditLog
from shop.core.catalog.models import Product, Variant
from shop.core.staff.models import StaffRole
from tests.admin.conftest import AdminClient
from tests.core.catalog.catalog_dump import fixture_bytes

GOOD = fixture_bytes("shopify_products.csv")
BAD = b"Handle,Title,Variant SKU,Variant Price\ntee,Tee,TEE-1,12.50\nmug,Mug,MUG-1,twelve\n"


def _count(app: FastAPI, model: type) -> int:
    with app.state.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _preview(client: AdminClient, data: bytes, name: str = "products.csv"):  # type: ignore[no-untyped-def]
    return client.http.post(
        "/admin/product-csv/preview",
        data={"csrf_token": client.csrf},
        files={"file": (name, data, "text/csv")},
    )


def test_preview_changes_nothing_then_import_imports_that_file(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient]
) -> None:
    manager = as_role(StaffRole.MANAGER)
    assert (
        'action="http://shop.test/admin/product-csv/preview"' in manager.http.get("/admin/product-csv").text
    )
    preview = _preview(manager, GOOD, "shopify.csv")
    assert preview.status_code == 200, preview.text[-2000:]
    assert "Preview of shopify.csv: nothing changed yet" in preview.text
    assert 'id="csv-products">4 / 0 / 0<' in preview.text
    assert _count(app, Product) == 0
    token = preview.text.split('name="token" value="')[1].split('"')[0]
    imported = manager.post("/admin/product-csv/apply", {"token": token}, follow_redirects=False)
    assert imported.status_code == 302, imported.text[-2000:]
    assert (_count(app, Product), _count(app, Variant)) == (4, 9)
    with app.state.sessions() as session:
        audit = session.scalar(select(AuditLog).where(AuditLog.action == "import_products"))
        assert audit.actor == "manager@shop.test" and audit.changes["file"] == "shopify.csv"
    again = manager.post("/admin/product-csv/apply", {"token": token})
    assert again.status_code == 400 and "preview has expired" in again.text


def test_row_errors_are_listed_and_nothing_can_be_imported(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient]
) -> None:
    owner = as_role(StaffRole.OWNER)
    preview = _preview(owner, BAD)
    assert preview.status_code == 400
    assert "has errors: nothing was imported" in preview.text
    errors = preview.text.split('id="csv-errors"')[1]
    assert "<td>3</td><td>Variant Price</td>" in errors
    assert 'name="token"' not in preview.text
    not_csv = _preview(owner, b"\x89PNG\r\n\x1a\n\x00\x00", "photo.csv")
    assert not_csv.status_code == 400 and "photo.csv:" in not_csv.text
    assert _count(app, Product) == 0


def test_another_sessions_token_is_refused(app: FastAPI, as_role: Callable[[StaffRole], AdminClient]) -> None:
    manager, owner = as_role(StaffRole.MANAGER), as_role(StaffRole.OWNER)
    token = _preview(manager, GOOD).text.split('name="token" value="')[1].split('"')[0]
    assert owner.post("/admin/product-csv/apply", {"token": token}).status_code == 400
    assert (
        manager.http.post("/admin/product-csv/apply", data={"token": token}).status_code == 403
    )  # no CSRF token
    assert _count(app, Product) == 0


def test_export_and_permissions(app: FastAPI, as_role: Callable[[StaffRole], AdminClient]) -> None:
    manager = as_role(StaffRole.MANAGER)
    token = _preview(manager, GOOD).text.split('name="token" value="')[1].split('"')[0]
    manager.post("/admin/product-csv/apply", {"token": token})
    viewer = as_role(StaffRole.VIEWER)
    page = viewer.http.get("/admin/product-csv").text
    assert "csv-export" in page and "product-csv/preview" not in page
    assert _preview(viewer, GOOD).status_code == 403
    exported = viewer.http.get("/admin/product-csv/export")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.text.startswith("Handle,Title,") and "TEE-BLK-S" in exported.text
    support = as_role(StaffRole.SUPPORT)
    assert support.http.get("/admin/product-csv/export").status_code == 403
    assert _preview(support, GOOD).status_code == 403


def test_previews_left_behind_expire_and_are_swept(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient]
) -> None:
    manager = as_role(StaffRole.MANAGER)
    token = _preview(manager, GOOD).text.split('name="token" value="')[1].split('"')[0]
    folder = app.state.settings.dir / "imports"
    kept = folder / f"{token}.csv"
    old = time.time() - PREVIEW_TTL.total_seconds() - 60
    os.utime(kept, (old, old))
    abandoned = folder / "abandoned-preview-of-another-session.csv"
    abandoned.write_bytes(GOOD)
    os.utime(abandoned, (old, old))

    stale = manager.post("/admin/product-csv/apply", {"token": token})
    assert stale.status_code == 400 and "preview has expired" in stale.text
    assert _count(app, Product) == 0

    fresh = _preview(as_role(StaffRole.OWNER), GOOD).text.split('name="token" value="')[1].split('"')[0]
    assert sorted(p.name for p in folder.iterdir()) == [f"{fresh}.csv"]
