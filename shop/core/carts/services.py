"""Carts: server-side baskets behind an opaque token, priced on every read.

A cart promises nothing: stock is only allocated at checkout. Adding more than can be
sold right now is refused with the quantity available, so a shopper learns early.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from shop.config import Settings
from shop.core.carts.models import Cart, CartLine
from shop.core.carts.sellable import (
    SellableVariant,
    cart_lines,
    cart_with_lines,
    variant_by_id,
    variants_by_sku,
)
from shop.core.errors import Conflict, InvalidInput, NotFound
from shop.core.pricing.discounts import find_discount
from shop.core.pricing.quote import Quote, quote
from shop.core.pricing.shipping import shipping_rates
from shop.core.pricing.tables import PricingTables
from shop.core.security import new_token

MAX_LINE_QUANTITY = 999
MAX_LINES = 100


class QuantityUnavailable(Conflict):
    code = "insufficient-stock"


@dataclass(frozen=True, slots=True)
class CartItem:
    line_id: int
    variant: SellableVariant
    quantity: int
    available: int | None  # None: no limit (backorders allowed)


@dataclass(frozen=True, slots=True)
class CartView:
    """A cart as read for display: the columns an answer needs, without an ORM object."""

    id: int
    token: str
    customer_id: int | None
    currency: str
    expires_at: datetime
    completed_at: datetime | None
    email: str | None
    discount_code: str | None
    shipping_method_code: str | None
    shipping_country: str | None
    # Read with the cart: the shipping methods and tax rates its price needs.
    tables: PricingTables | None = None


@dataclass(frozen=True, slots=True)
class PricedCart:
    cart: Cart | CartView
    items: tuple[CartItem, ...]
    quote: Quote


def create_cart(
    session: Session, *, settings: Settings, now: datetime, customer_id: int | None = None
) -> Cart:
    cart = Cart(
        token=new_token(),
        currency=settings.currency,
        customer_id=customer_id,
        expires_at=now + timedelta(days=settings.cart_ttl_days),
    )
    session.add(cart)
    session.flush()
    return cart


_CART = select(Cart).where(Cart.token == bindparam("token"))
_CART_FOR_UPDATE = _CART.with_for_update()


def get_cart(session: Session, token: str, *, now: datetime, lock: bool = False) -> Cart:
    """The open cart behind `token`; NotFound for unknown, expired or checked-out carts.

    `lock` (for every change) takes the cart's row lock on PostgreSQL, so two requests on
    one cart (a double click, two tabs checking out) run one after the other; SQLite's
    writers are serialised already.
    """
    query = _CART_FOR_UPDATE if lock else _CART
    cart = session.scalar(query, {"token": token}) if token else None
    if cart is None or cart.completed_at is not None or cart.expires_at <= now:
        raise NotFound("cart not found: it may have expired or been checked out", field="token")
    return cart


def read_cart(
    session: Session,
    token: str,
    *,
    now: datetime,
    settings: Settings,
    country: str | None = None,
    region: str | None = None,
    lock: bool = False,
) -> tuple[CartView, tuple[CartItem, ...]]:
    """The open cart behind `token` with its items, in one statement (cart reads, checkout);
    NotFound exactly when `get_cart` would say so. `lock` as for `get_cart`. The statement
    also reads the pricing tables for `country` and `region` (checkout: the address's;
    else where the cart ships), which `price_cart` then uses."""
    found = (
        cart_with_lines(
            session, token, default_country=settings.country, country=country, region=region, lock=lock
        )
        if token
        else None
    )
    columns: tuple[Any, ...] = (*found[0], found[2]) if found is not None else ()
    cart = CartView(*columns) if found is not None else None
    if found is None or cart is None or cart.completed_at is not None or cart.expires_at <= now:
        raise NotFound("cart not found: it may have expired or been checked out", field="token")
    return cart, tuple(
        CartItem(line_id=line_id, variant=variant, quantity=quantity, available=variant.available)
        for line_id, quantity, variant in found[1]
    )


def _touch(cart: Cart, *, settings: Settings, now: datetime) -> None:
    # Expiry slides with activity, so a shopper who keeps coming back keeps the cart.
    cart.expires_at = now + timedelta(days=settings.cart_ttl_days)


def _variant_for_sale(session: Session, sku: str) -> SellableVariant:
    found = variants_by_sku(session, [sku]).get(sku)
    if found is None:
        raise InvalidInput(f"unknown SKU {sku!r}", field="sku")
    if not found.for_sale:
        raise InvalidInput(f"{sku} is not for sale", field="sku")
    return found


def _check_quantity(variant: SellableVariant, quantity: int) -> None:
    if quantity > MAX_LINE_QUANTITY:
        raise InvalidInput(f"at most {MAX_LINE_QUANTITY} of one item per order", field="quantity")
    available = variant.available
    if available is not None and quantity > available:
        raise QuantityUnavailable(
            f"only {available} of {variant.sku} available",
            field="quantity",
            sku=variant.sku,
            available=available,
        )


def add_line(
    session: Session, cart: Cart, *, sku: str, quantity: int, settings: Settings, now: datetime
) -> CartLine:
    """Add `quantity` of `sku`; a SKU already in the cart gets its quantity increased."""
    if quantity <= 0:
        raise InvalidInput("quantity must be at least 1", field="quantity")
    variant = _variant_for_sale(session, sku.strip())
    line = next((line for line in cart.lines if line.variant_id == variant.variant_id), None)
    if line is None and len(cart.lines) >= MAX_LINES:
        raise InvalidInput(f"a cart holds at most {MAX_LINES} different items", field="sku")
    total = quantity + (line.quantity if line else 0)
    _check_quantity(variant, total)
    if line is None:
        line = CartLine(variant_id=variant.variant_id, quantity=total)
        cart.lines.append(line)
    else:
        line.quantity = total
    _touch(cart, settings=settings, now=now)
    session.flush()
    return line


def _line(cart: Cart, line_id: int) -> CartLine:
    for line in cart.lines:
        if line.id == line_id:
            return line
    raise NotFound(f"the cart has no line {line_id}", field="line_id")


def update_line(
    session: Session, cart: Cart, line_id: int, *, quantity: int, settings: Settings, now: datetime
) -> None:
    """Set a line's quantity; 0 removes the line."""
    line = _line(cart, line_id)
    if quantity < 0:
        raise InvalidInput("quantity must not be negative", field="quantity")
    if quantity == 0:
        cart.lines.remove(line)
    elif quantity != line.quantity:
        variant = variant_by_id(session, line.variant_id)
        if quantity > line.quantity:
            if not variant.for_sale:
                raise InvalidInput(f"{variant.sku} is not for sale", field="quantity")
            _check_quantity(variant, quantity)
        line.quantity = quantity
    _touch(cart, settings=settings, now=now)
    session.flush()


def remove_line(session: Session, cart: Cart, line_id: int, *, settings: Settings, now: datetime) -> None:
    cart.lines.remove(_line(cart, line_id))
    _touch(cart, settings=settings, now=now)
    session.flush()


def apply_discount(session: Session, cart: Cart, *, code: str, settings: Settings, now: datetime) -> None:
    """Attach a code after checking it against the cart as it is now (422 naming `code` if not)."""
    items = cart_items(session, cart)
    subtotal = sum(item.variant.price * item.quantity for item in items)
    discount = find_discount(
        session, code, subtotal=subtotal, currency=cart.currency, email=cart.email, now=now
    )
    cart.discount_code = discount.code
    _touch(cart, settings=settings, now=now)
    session.flush()


def remove_discount(session: Session, cart: Cart, *, settings: Settings, now: datetime) -> None:
    cart.discount_code = None
    _touch(cart, settings=settings, now=now)
    session.flush()


def update_details(
    session: Session,
    cart: Cart,
    *,
    settings: Settings,
    now: datetime,
    email: str | None = None,
    shipping_country: str | None = None,
    shipping_method: str | None = None,
) -> None:
    """Set the shopper's e-mail (for per-customer code limits), destination or shipping method."""
    if email is not None:
        cart.email = email.strip().lower() or None
    if shipping_country is not None:
        country = shipping_country.strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise InvalidInput("a country is a two-letter ISO code such as DE", field="shipping_country")
        cart.shipping_country = country
    if shipping_method is not None:
        country = cart.shipping_country or settings.country
        # Checked against where the cart ships now; checkout checks again against the address.
        codes = [rate.code for rate in shipping_rates(session, country)]
        if shipping_method not in codes:
            raise InvalidInput(
                f"shipping method {shipping_method!r} does not ship to {country} "
                f"(choose from: {', '.join(codes) or 'none'})",
                field="shipping_method",
            )
        cart.shipping_method_code = shipping_method
    _touch(cart, settings=settings, now=now)
    session.flush()


def cart_items(session: Session, cart: Cart | CartView) -> tuple[CartItem, ...]:
    return tuple(
        CartItem(line_id=line_id, variant=variant, quantity=quantity, available=variant.available)
        for line_id, quantity, variant in cart_lines(session, cart.id)
    )


def price_cart(
    session: Session,
    cart: Cart | CartView,
    *,
    settings: Settings,
    now: datetime,
    strict: bool = False,
    email: str | None = None,
    country: str | None = None,
    region: str | None = None,
    shipping_method: str | None = None,
    items: tuple[CartItem, ...] | None = None,
) -> PricedCart:
    """The cart with its totals; checkout calls this with strict=True and the shopper's details.
    `items` when the caller read them already (`read_cart`)."""
    if items is None:
        items = cart_items(session, cart)
    priced = quote(
        session,
        [item.variant.line(item.quantity) for item in items],
        currency=cart.currency,
        country=country or cart.shipping_country or settings.country,
        region=region,
        discount_code=cart.discount_code,
        email=email or cart.email,
        shipping_method=shipping_method if shipping_method is not None else cart.shipping_method_code,
        now=now,
        strict=strict,
        tables=cart.tables if isinstance(cart, CartView) else None,
    )
    return PricedCart(cart=cart, items=items, quote=priced)
