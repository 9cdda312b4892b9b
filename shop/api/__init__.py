"""The commerce API: only what a static page cannot do (cart, checkout, reviews, accounts)."""

from shop.api.app import create_app

__all__ = ["create_app"]
