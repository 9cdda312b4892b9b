"""Factories for uvicorn (`uvicorn --factory shop.api.asgi:app`); settings come from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from shop.api.app import create_app
from shop.config import get_settings
from shop.config.logging import configure_logging


def app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings)
    # An SQLite store is the embedded setup: the API delivers its own outbox. Elsewhere the
    # outbox is `shop worker`'s job.
    return create_app(settings, outbox_worker=settings.is_sqlite)


def site_app() -> FastAPI:
    """The API and admin plus the built storefront at / (demo and preview)."""
    settings = get_settings()
    configure_logging(settings)
    return create_app(settings, serve_site=True, outbox_worker=settings.is_sqlite)
