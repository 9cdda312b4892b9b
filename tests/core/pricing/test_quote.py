from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from shop.config import Settings
from shop.core.carts.services import add_line, create_cart, price_cart, read_cart
from shop.core.db import utcnow
from shop.core.discounts.models import DiscountCode, DiscountKind
from shop.core.errors import InvalidInput
from shop.core.orders.services import mark_order_paid
from shop.core.pricing.calculator import DiscountType, LineInput
from shop.core.pricing.discounts import DiscountNotApplicable, find_discount
from shop.core.pricing.quote import Quote, quote
from shop.core.pricing.shipping import shipping_rates
from shop.core.pricing.tax import tax_for
from shop.core.shipping.models import ShippingMethod
from shop.core.tax.models import TaxRate
from tests.factories import make_product
from tests.order_factories import make_order


def _find(session: Session, code: str, subtotal: int = 10_000, email: str | None = None) -> object:
    return find_discount(session, code, subtotal=subtotal, currency="EUR", email=email, now=utcnow())


def test_discount_code_rules(session: Session) -> None:
    now = utcnow()
    session.add_all(
        [
            DiscountCode(code="OFF", kind=DiscountKind.PERCENT, value=1000, active=False),
            DiscountCode(code="SOON", kind=DiscountKind.FIXED, value=100, starts_at=now + timedelta(days=1)),
            DiscountCode(
                code="OVER",
                kind=DiscountKind.FIXED,
                value=100,
                ends_at=now - timedelta(seconds=1),
                starts_at=now - timedelta(days=2),
            ),
            DiscountCode(code="MIN", kind=DiscountKind.FIXED, value=100, minimum_subtotal=5000),
            DiscountCode(code="OK", kind=DiscountKind.FREE_SHIPPING),
        ]
    )
    session.flush()
    for code, reason in [
        ("NOPE", "not a valid"),
        ("OFF", "not a valid"),
        ("SOON", "not valid yet"),
        ("OVER", "expired"),
        ("MIN", "at least 50.00 EUR"),
    ]:
        with pytest.raises(DiscountNotApplicable) as caught:
            _find(session, code, subtotal=4999)
        assert reason in caught.value.detail and caught.value.field == "code"
    found = find_discount(session, " ok ", subtotal=0, currency="EUR", email=None, now=utcnow())
    assert (found.code, found.kind) == ("OK", DiscountType.FREE_SHIPPING)


def test_usage_limits_count_paid_orders_only(session: Session) -> None:
    session.add_all(
        [
            DiscountCode(code="ONE", kind=DiscountKind.PERCENT, value=500, usage_limit=1),
            DiscountCode(code="EACH", kind=DiscountKind.PERCENT, value=500, per_customer_limit=1),
        ]
    )
    product = make_product(session, stock=10)
    pending = make_order(session, [(product, 1)], discount_code="ONE", email="a@example.com")
    _find(session, "ONE")  # an unpaid order does not use it up
    mark_order_paid(session, pending, amount=pending.total, provider_reference=None, actor="x")
    with pytest.raises(DiscountNotApplicable, match="used up"):
        _find(session, "ONE")

    paid = make_order(session, [(product, 1)], discount_code="EACH", email="b@example.com")
    mark_order_paid(session, paid, amount=paid.total, provider_reference=None, actor="x")
    _find(session, "EACH", email="c@example.com")
    _find(session, "EACH")  # unknown shopper: checked again once the e-mail is known
    with pytest.raises(DiscountNotApplicable, match="per customer"):
        _find(session, "EACH", email="B@Example.com")


def test_a_region_rate_wins_over_the_country(session: Session) -> None:
    session.add_all(
        [
            TaxRate(name="GST", country="CA", rate_bps=500, prices_include_tax=False),
            TaxRate(name="HST", country="CA", region="ON", rate_bps=1300, prices_include_tax=False),
        ]
    )
    session.flush()
    assert tax_for(session, "ca", "on").rate_bps == 1300  # type: ignore[union-attr]
    assert tax_for(session, "CA", "QC").rate_bps == 500  # type: ignore[union-attr]
    assert tax_for(session, "CA").rate_bps == 500  # type: ignore[union-attr]
    assert tax_for(session, "FR") is None


def test_strict_quotes_name_the_field(session: Session) -> None:
    session.add(ShippingMethod(name="Local", code="local", price=300, countries="DE"))
    session.flush()
    lines = [LineInput(variant_id=1, sku="A", unit_price=1000, quantity=1)]

    def strict(country: str, method: str | None, *, is_strict: bool = True) -> Quote:
        return quote(
            session,
            lines,
            currency="EUR",
            country=country,
            discount_code=None,
            email=None,
            shipping_method=method,
            now=utcnow(),
            strict=is_strict,
        )

    assert strict("DE", "local").totals.total == 1300
    for country, method, field in [
        ("DE", None, "shipping_method"),
        ("DE", "air", "shipping_method"),
        ("US", "local", "shipping_address.country"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            strict(country, method)
        assert caught.value.field == field
    loose = strict("DE", "air", is_strict=False)
    assert loose.totals.shipping_method == "local" and loose.totals.shipping == 300


def test_tables_read_with_the_cart_price_it_as_separate_reads_do(
    session: Session, settings: Settings
) -> None:
    session.add_all(
        [
            ShippingMethod(name="Express", code="express", price=900, countries="de, at", position=2),
            ShippingMethod(name="Standard", code="standard", price=490, free_over=5000, position=1),
            ShippingMethod(name="Local", code="local", price=300, countries="DE", position=1),
            ShippingMethod(name="Old", code="old", price=100, active=False),
            TaxRate(
                name="GST", country="CA", rate_bps=500, prices_include_tax=False, applies_to_shipping=False
            ),
            TaxRate(name="HST", country="CA", region="ON", rate_bps=1300, prices_include_tax=False),
            TaxRate(name="VAT", country="DE", rate_bps=1900, prices_include_tax=True),
        ]
    )
    product = make_product(session, price=2500)
    cart = create_cart(session, settings=settings, now=utcnow())
    add_line(session, cart, sku=product.variants[0].sku, quantity=3, settings=settings, now=utcnow())
    for cart_country in (None, "ca", "US"):
        cart.shipping_country = cart_country
        session.flush()
        for country, region in [
            (None, None),
            ("DE", None),
            ("at", None),
            ("CA", "on"),
            ("CA", "QC"),
            ("", None),
        ]:
            view, items = read_cart(
                session, cart.token, now=utcnow(), settings=settings, country=country, region=region
            )
            assert view.tables is not None
            kept = view.tables
            with_tables = price_cart(
                session, view, settings=settings, now=utcnow(), country=country, region=region, items=items
            )
            view = dataclasses.replace(view, tables=None)
            separately = price_cart(
                session, view, settings=settings, now=utcnow(), country=country, region=region, items=items
            )
            expected = (country or cart_country or settings.country).upper()
            assert kept.serves(expected, region), (kept.country, expected)
            assert with_tables.quote == separately.quote
            assert [o.code for o in with_tables.quote.shipping_options] == [
                r.code for r in shipping_rates(session, expected)
            ]
