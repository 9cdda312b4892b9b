"""Shopify product CSV from the admin: upload, dry-run preview with row errors, import; export.

The uploaded file waits between preview and import in the store's private `imports/`
folder under a random name that only the uploader's session knows, so the merchant imports
exactly the file they previewed without uploading it again.
"""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from sqladmin import BaseView, Flash, expose
from sqladmin.authorization import Action
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shop.admin.auth import current_staff
from shop.core.catalog.csv_export import export_products, media_base_url
from shop.core.catalog.csv_import import FileRejected, ImportResult, import_products
from shop.core.db import unit_of_work
from shop.core.security import new_token

TEMPLATE = "shop_admin/product_csv.html"
MAX_UPLOAD = 20 * 1024 * 1024
# A preview the merchant walked away from is deleted after this; importing it then asks
# for a new upload, so nobody imports a file previewed against yesterday's catalog.
PREVIEW_TTL = timedelta(hours=12)
SESSION_KEY = "csv_upload"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


class ProductCSVAdmin(BaseView):
    name = "Import / export CSV"
    category = "Catalog"
    icon = "fa-solid fa-file-csv"
    identity = "product-csv"

    @property
    def settings(self) -> Any:
        return self._admin_ref.settings  # type: ignore[attr-defined]

    def _require(self, request: Request, action: str) -> None:
        if not self.has_permission(request, action):
            raise HTTPException(status_code=403)

    def _uploads(self) -> Path:
        return self.settings.dir / "imports"

    async def _page(self, request: Request, status_code: int = 200, **context: Any) -> Response:
        context = {
            "title": "Products: CSV import and export",
            "can_import": self.has_permission(request, Action.IMPORT),
            "can_export": self.has_permission(request, Action.EXPORT),
            **context,
        }
        return await self.templates.TemplateResponse(request, TEMPLATE, context, status_code=status_code)

    @expose("/product-csv/preview", methods=["POST"], identity="product-csv")
    async def preview(self, request: Request) -> Response:
        """Check an uploaded file without changing anything, and keep it for the import."""
        self._require(request, Action.IMPORT)
        async with request.form(max_part_size=MAX_UPLOAD) as form:
            upload = form.get("file")
            data = await upload.read() if upload is not None and not isinstance(upload, str) else b""
            filename = getattr(upload, "filename", "") or "products.csv"
        if not data:
            return await self._page(request, 400, error="Choose a CSV file to upload.")
        if len(data) > MAX_UPLOAD:
            return await self._page(request, 400, error=f"The file is larger than {MAX_UPLOAD // 2**20} MB.")
        result, error = await anyio.to_thread.run_sync(self._run, request, data, filename, True)
        if error or result is None:
            return await self._page(request, 400, error=error)
        token = ""
        if result.ok:
            token = new_token()
            self._sweep()
            self._uploads().mkdir(parents=True, exist_ok=True)
            (self._uploads() / f"{token}.csv").write_bytes(data)
            self._forget(request)
            request.session[SESSION_KEY] = {"token": token, "filename": filename}
        return await self._page(
            request, 200 if result.ok else 400, result=result, filename=filename, token=token
        )

    # Not ".../import": sqladmin's own `/{identity}/import` route would answer first.
    @expose("/product-csv/apply", methods=["POST"], identity="product-csv")
    async def run_import(self, request: Request) -> Response:
        """Import the file previewed last, in one transaction."""
        self._require(request, Action.IMPORT)
        async with request.form() as form:
            token = str(form.get("token") or "")
        kept = request.session.get(SESSION_KEY) or {}
        if (
            not TOKEN.match(token)
            or kept.get("token") != token
            or not self._fresh(self._uploads() / f"{token}.csv")
        ):
            return await self._page(
                request, 400, error="Upload and preview the file again; the preview has expired."
            )
        path = self._uploads() / f"{token}.csv"
        result, error = await anyio.to_thread.run_sync(
            self._run, request, path.read_bytes(), kept["filename"], False
        )
        if error or result is None or not result.ok:
            return await self._page(request, 400, error=error, result=result, filename=kept["filename"])
        self._forget(request)
        Flash.success(
            request,
            f"Imported {kept['filename']}: {result.products_created} products created, "
            f"{result.products_updated} updated, {result.variants_created} variants created, "
            f"{result.variants_updated} updated.",
        )
        return RedirectResponse(request.url_for("admin:list", identity="product"), status_code=302)

    @expose("/product-csv/export", methods=["GET"], identity="product-csv")
    async def export(self, request: Request) -> Response:
        self._require(request, Action.EXPORT)
        text = await anyio.to_thread.run_sync(self._export)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="products-{stamp}.csv"'},
        )

    @expose("/product-csv", methods=["GET"], identity="product-csv")
    async def page(self, request: Request) -> Response:
        return await self._page(request)

    def _run(
        self, request: Request, data: bytes, filename: str, dry_run: bool
    ) -> tuple[ImportResult | None, str]:
        staff = current_staff(request)
        try:
            with unit_of_work(self._admin_ref.sessions) as session:  # type: ignore[attr-defined]
                result = import_products(
                    session,
                    data,
                    currency=self.settings.currency,
                    actor=staff.email,
                    actor_id=staff.id,
                    dry_run=dry_run,
                    media_base_url=media_base_url(self.settings),
                    filename=filename,
                )
        except FileRejected as exc:
            return None, f"{filename}: {exc.detail}"
        return result, ""

    def _export(self) -> str:
        out = io.StringIO()
        with self._admin_ref.read_sessions() as session:  # type: ignore[attr-defined]
            export_products(
                session, out, currency=self.settings.currency, media_base_url=media_base_url(self.settings)
            )
        return out.getvalue()

    def _fresh(self, path: Path) -> bool:
        try:
            return time.time() - path.stat().st_mtime < PREVIEW_TTL.total_seconds()
        except FileNotFoundError:
            return False

    def _sweep(self) -> None:
        """Delete previews left behind (a closed tab, a session that expired)."""
        folder = self._uploads()
        if folder.is_dir():
            for path in folder.glob("*.csv"):
                if not self._fresh(path):
                    path.unlink(missing_ok=True)

    def _forget(self, request: Request) -> None:
        kept = request.session.pop(SESSION_KEY, None) or {}
        token = str(kept.get("token", ""))
        if TOKEN.match(token):
            (self._uploads() / f"{token}.csv").unlink(missing_ok=True)


VIEWS = [ProductCSVAdmin]
