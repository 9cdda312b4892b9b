"""The shop's sqladmin `Admin`: login, roles, audit, CSRF and the dashboard wired together."""

from __future__ import annotations

from pathlib import Path
from types import MethodType

import anyio
from sqladmin import Admin, BaseView, ModelView
from sqladmin.authentication import login_required
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from shop.admin.audit import ShopAuditBackend
from shop.admin.auth import StaffAuthentication
from shop.admin.csrf import csrf_token
from shop.admin.fields import format_money
from shop.admin.roles import RoleAuthorization
from shop.config import Settings
from shop.core.db import make_session_factory

TEMPLATES = Path(__file__).parent / "templates"


class ShopAdmin(Admin):
    def __init__(self, app: Starlette, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        # Separate factories from the API's: sqladmin reconfigures the one it is given.
        self.sessions = make_session_factory(engine)
        self.read_sessions = make_session_factory(engine, read_only=True)
        authentication = StaffAuthentication(settings, self.sessions)
        super().__init__(
            app,
            session_maker=make_session_factory(engine),
            base_url="/admin",
            title=f"{settings.store_name} admin",
            templates_dir=str(TEMPLATES),
            authentication_backend=authentication,
            authorization_backend=RoleAuthorization(),
            audit_backend=ShopAuditBackend(self.sessions),
        )
        authentication.templates = self.templates
        # Product images for the product page's thumbnails (public files, as on the storefront).
        self.admin.router.routes.insert(
            0, Mount("/media", StaticFiles(directory=settings.media_path, check_dir=False), name="media")
        )
        self.admin.state.settings = settings
        env = self.templates.env
        env.globals["csrf_token"] = csrf_token
        env.globals["store_currency"] = settings.currency
        env.filters["money"] = format_money

    def add_view(self, view: type[ModelView] | type[BaseView]) -> None:
        if view.is_model:
            view.read_session_maker = self.read_sessions  # type: ignore[attr-defined]
        super().add_view(view)

    def _handle_action_decorated_func(
        self, func: MethodType, view: type[BaseView | ModelView], view_instance: BaseView | ModelView
    ) -> None:
        # sqladmin routes actions for GET only; ours confirm on GET and act on POST.
        super()._handle_action_decorated_func(func, view, view_instance)
        if hasattr(func, "_action"):
            route = self.admin.router.routes[-1]
            if isinstance(route, Route) and route.methods is not None:
                route.methods |= {"POST"}

    @login_required
    async def index(self, request: Request) -> Response:
        from shop.admin.dashboard import dashboard_context

        context = await anyio.to_thread.run_sync(
            dashboard_context, self.read_sessions, self.settings.currency, self.settings.timezone
        )
        return await self.templates.TemplateResponse(request, "shop_admin/dashboard.html", context)


__all__ = ["ShopAdmin"]
