"""The merchant's backoffice (sqladmin), mounted at /admin."""

from __future__ import annotations

from fastapi import FastAPI

from shop.config import Settings


def mount_admin(app: FastAPI, settings: Settings) -> None:
    """Mount the admin on `app`, sharing the app's engine."""
    from shop.admin.site import ShopAdmin
    from shop.admin.views import register_views

    admin = ShopAdmin(app, settings, app.state.engine)
    register_views(admin)
    app.state.admin = admin
