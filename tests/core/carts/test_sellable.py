"""The cart read's rows, taken straight from psycopg on PostgreSQL, are SQLAlchemy's rows."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from shop.config import Settings
from shop.core.carts import sellable
from shop.core.carts.services import add_line, create_cart
from shop.core.db import utcnow
from shop.core.pricing.tables import tables_params
from shop.core.shipping.models import ShippingMethod
from shop.core.tax.models import TaxRate
from tests.factories import make_product


def test_driver_rows_equal_sqlalchemy_rows(session: Session, settings: Settings) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL tests need SHOP_TEST_DATABASE_URL: on SQLite both are SQLAlchemy's")
    session.add_all(
        [
            ShippingMethod(name="Standard", code="standard", price=490, free_over=5000, position=1),
            TaxRate(name="GST", country="CA", rate_bps=500, prices_include_tax=False),
            TaxRate(name="HST", country="CA", region="ON", rate_bps=1300, prices_include_tax=False),
        ]
    )
    cart = create_cart(session, settings=settings, now=utcnow())
    for price in (2500, 900):
        product = make_product(session, price=price)
        add_line(session, cart, sku=product.variants[0].sku, quantity=2, settings=settings, now=utcnow())
    session.flush()
    empty = create_cart(session, settings=settings, now=utcnow())
    session.flush()
    for token in (cart.token, empty.token, "no-such-cart"):
        for country, region in [(None, None), ("CA", "on"), ("ca", None)]:
            params = {"token": token, **tables_params(country, settings.country, region)}
            for query in (sellable._CART_WITH_LINES, sellable._CART_WITH_LINES_LOCKED):
                expected = [tuple(row) for row in session.connection().execute(query, params)]
                assert sellable._driver_rows(session, query, params) == expected
                assert (token == "no-such-cart") == (not expected)
