"""The database itself refuses what the business never allows."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop.core.catalog.models import InventoryPolicy, Product, Variant
from shop.core.customers.models import Customer
from shop.core.inventory.models import StockLevel
from shop.core.orders.models import Order
from shop.core.reviews.models import Review
from shop.core.site.services import next_order_number
from tests.factories import make_location, make_product


def refused(session: Session, *rows: object) -> None:
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add_all(rows)
        session.flush()


def test_slug_sku_and_email_are_unique(session: Session) -> None:
    product = make_product(session, sku="TEE-1")
    refused(session, Product(title="Other", slug=product.slug))
    refused(session, Product(title="Other", slug="other", variants=[Variant(sku="TEE-1", price=1)]))
    session.add(Customer(email="a@example.com"))
    session.flush()
    refused(session, Customer(email="a@example.com"))


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_rating_must_be_1_to_5(session: Session, rating: int) -> None:
    product = make_product(session)
    refused(session, Review(product=product, author_name="A", email="a@example.com", rating=rating))


def test_prices_cannot_be_negative(session: Session) -> None:
    refused(session, Product(title="X", slug="x", variants=[Variant(sku="X", price=-1)]))


def test_deny_stock_never_goes_negative_but_continue_may(session: Session) -> None:
    product = make_product(session, stock=2)
    level = session.scalars(select(StockLevel)).one()
    assert level.allow_negative is False
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(update(StockLevel).where(StockLevel.id == level.id).values(on_hand=-1))
    with pytest.raises(IntegrityError), session.begin_nested():
        session.execute(update(StockLevel).where(StockLevel.id == level.id).values(allocated=3))

    variant = product.variants[0]
    variant.inventory_policy = InventoryPolicy.CONTINUE
    session.flush()
    session.execute(update(StockLevel).where(StockLevel.id == level.id).values(on_hand=-4))
    session.refresh(level)
    assert (level.allow_negative, level.on_hand) == (True, -4)

    variant.inventory_policy = InventoryPolicy.DENY
    with pytest.raises(IntegrityError), session.begin_nested():
        session.flush()


def test_new_stock_level_copies_the_variant_policy(session: Session) -> None:
    product = make_product(session, stock=None, policy=InventoryPolicy.CONTINUE)
    level = StockLevel(variant=product.variants[0], location=make_location(session), on_hand=-2)
    session.add(level)
    session.flush()
    assert level.allow_negative is True


def test_product_version_bumps_on_every_update(session: Session) -> None:
    product = make_product(session)
    assert product.version == 1
    product.title = "Renamed"
    session.flush()
    assert product.version == 2


def test_order_numbers_start_at_1001_and_increase(session: Session) -> None:
    numbers = [next_order_number(session) for _ in range(3)]
    if session.get_bind().dialect.name == "postgresql":
        # A sequence: its numbers are not given back when a transaction rolls back (this
        # test's, or earlier tests' of the run), so only a fresh store's start is 1001.
        start = session.scalar(
            text("SELECT start_value FROM pg_sequences WHERE sequencename = 'order_numbers'")
        )
        assert start == 1001
        assert numbers[0] >= 1001 and numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]
    else:
        assert numbers == [1001, 1002, 1003]
    order = Order(
        number=numbers[0], token="t" * 43, email="a@example.com", currency="EUR", subtotal=100, total=100
    )
    session.add(order)
    session.flush()
    refused(
        session,
        Order(number=numbers[0], token="u" * 43, email="b@example.com", currency="EUR", subtotal=1, total=1),
    )
