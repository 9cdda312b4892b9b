"""Factories for uvicorn (`uvicorn --factory shop.api.asgi:app`); settings come from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from shop.api.app import create_app
from shop.config import get_settings
from shop.config.logging import configure_logging


def app() -> FastAPI:
    configure_logging(get_settings())
    return create_app()


def site_app() -> FastAPI:
    """The API and admin plus the built storefront at / (demo and preview)."""
    configure_logging(get_settings())
    return create_app(serve_site=True)
