from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from shop.cli import app
from shop.core.db import utcnow
from shop.core.orders.models import Order, OrderStatus
from tests.cli.test_cli import store  # noqa: F401  (fixture)
from tests.factories import make_product
from tests.order_factories import make_order

runner = CliRunner()


@pytest.mark.usefixtures("store")
def test_expire_releases_overdue_unpaid_orders(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        product = make_product(session, stock=5)
        overdue = make_order(session, [(product, 2)])
        overdue.expires_at = utcnow() - timedelta(minutes=1)
        make_order(session, [(product, 1)])

    result = runner.invoke(app, ["orders", "expire", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"released": 1}
    with Session(engine) as session:
        statuses = sorted(str(s) for s in session.scalars(select(Order.status)))
    assert statuses == [OrderStatus.CANCELLED, OrderStatus.PENDING_PAYMENT]
    again = runner.invoke(app, ["orders", "expire"])
    assert again.exit_code == 0 and "released 0" in again.output
