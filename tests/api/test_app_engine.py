"""The API's database engine follows the settings."""

from __future__ import annotations

import pytest

from shop.api import create_app
from shop.config import Settings


def test_the_pool_size_setting_sizes_the_postgresql_pool(settings: Settings) -> None:
    if settings.is_sqlite:
        pytest.skip("PostgreSQL tests need SHOP_TEST_DATABASE_URL: SQLite files keep no sized pool")
    app = create_app(settings.model_copy(update={"db_pool_size": 3}))
    try:
        pool = app.state.engine.pool
        assert (pool.size(), pool._max_overflow) == (3, 3)
    finally:
        app.state.engine.dispose()
