"""Settings for a store, read once from SHOP_* variables, `.env` and `shop.toml`."""

from shop.config.settings import (
    DEFAULT_SECRET_KEY,
    ConfigError,
    Settings,
    check_production,
    get_settings,
)

__all__ = ["DEFAULT_SECRET_KEY", "ConfigError", "Settings", "check_production", "get_settings"]
