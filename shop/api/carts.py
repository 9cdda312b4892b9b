"""Cart paths: every answer is the whole cart, priced on the server."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from shop.api.deps import SessionDep, SettingsDep
from shop.api.ratelimit import rate_limit
from shop.api.types import CountryCode, EmailAddress, ShortText, Sku, StrictModel, problems
from shop.config import Settings
from shop.core.carts import services
from shop.core.carts.models import Cart
from shop.core.carts.services import CartItem, CartView
from shop.core.db import read_unit, utcnow

router = APIRouter(prefix="/carts", tags=["carts"])

Token = Annotated[str, Path(min_length=1, max_length=64)]
LineId = Annotated[int, Path(ge=1)]


class NewLine(StrictModel):
    sku: Sku
    quantity: int = Field(1, ge=1, le=services.MAX_LINE_QUANTITY)


class LineChange(StrictModel):
    quantity: int = Field(ge=0, le=services.MAX_LINE_QUANTITY, description="0 removes the line")


class DiscountIn(StrictModel):
    code: Annotated[str, Field(min_length=1, max_length=64)]


class CartDetails(StrictModel):
    email: EmailAddress | None = None
    shipping_country: CountryCode | None = None
    shipping_method: ShortText | None = None


class CartLineOut(BaseModel):
    id: int
    sku: str
    title: str
    variant_title: str
    quantity: int
    unit_price: int
    subtotal: int
    discount: int
    tax: int
    total: int
    available: int | None = Field(description="units that can be bought now; null: no limit")
    for_sale: bool


class ShippingOptionOut(BaseModel):
    code: str
    name: str
    price: int
    delivery_estimate: str


class CartOut(BaseModel):
    token: str
    currency: str
    expires_at: datetime
    email: str | None
    lines: list[CartLineOut]
    item_count: int
    subtotal: int
    discount: int
    discount_code: str | None
    discount_error: str | None
    shipping: int
    shipping_country: str
    shipping_method: str | None
    shipping_options: list[ShippingOptionOut]
    tax: int
    prices_include_tax: bool
    total: int


def _answer(
    session: Session,
    cart: Cart | CartView,
    settings: Settings,
    now: datetime,
    items: tuple[CartItem, ...] | None = None,
) -> CartOut:
    priced = services.price_cart(session, cart, settings=settings, now=now, items=items)
    totals = priced.quote.totals
    return CartOut(
        token=cart.token,
        currency=cart.currency,
        expires_at=cart.expires_at,
        email=cart.email,
        lines=[
            CartLineOut(
                id=item.line_id,
                sku=item.variant.sku,
                title=item.variant.title,
                variant_title=item.variant.variant_title,
                quantity=item.quantity,
                unit_price=line.unit_price,
                subtotal=line.subtotal,
                discount=line.discount,
                tax=line.tax,
                total=line.total,
                available=item.available,
                for_sale=item.variant.for_sale,
            )
            for item, line in zip(priced.items, totals.lines, strict=True)
        ],
        item_count=sum(item.quantity for item in priced.items),
        subtotal=totals.subtotal,
        discount=totals.discount,
        discount_code=cart.discount_code,
        discount_error=priced.quote.discount_error,
        shipping=totals.shipping,
        shipping_country=priced.quote.country,
        shipping_method=totals.shipping_method,
        shipping_options=[
            ShippingOptionOut(code=o.code, name=o.name, price=o.price, delivery_estimate=o.delivery_estimate)
            for o in priced.quote.shipping_options
        ],
        tax=totals.tax,
        prices_include_tax=totals.prices_include_tax,
        total=totals.total,
    )


def _current(session: Session, token: str, settings: Settings, now: datetime) -> CartOut:
    """The answer to a change: the cart as it now stands in this transaction, read as a cart
    read reads it (one statement: the cart, its lines with live stock, and the pricing
    tables) rather than line by line and table by table."""
    session.flush()  # the change, made through the ORM, before a statement that bypasses it
    cart, items = services.read_cart(session, token, now=now, settings=settings)
    return _answer(session, cart, settings, now, items)


@router.post(
    "",
    status_code=201,
    response_model=CartOut,
    dependencies=[Depends(rate_limit("carts"))],
    responses=problems(429),
)
def create_cart(session: SessionDep, settings: SettingsDep) -> CartOut:
    now = utcnow()
    cart = services.create_cart(session, settings=settings, now=now)
    return _current(session, cart.token, settings, now)


@router.get("/{token}", response_model=CartOut, responses=problems(404))
def get_cart(token: Token, request: Request) -> Response:
    now = utcnow()
    # From the app's state rather than SettingsDep: a dependency costs its own resolution.
    settings: Settings = request.app.state.settings
    # The hottest path of the API: the read session is opened here, in the route's own
    # thread, rather than as a dependency that needs a second trip to the threadpool to
    # give its connection back; the cart, its lines and their stock come in one statement.
    with read_unit(request.app.state.read_sessions) as session:
        cart, items = services.read_cart(session, token, now=now, settings=settings)
        answer = _answer(session, cart, settings, now, items)
    # Serialised here: the model was just built from our own values, so FastAPI's second
    # validation against response_model (which still documents the answer) is skipped.
    return Response(answer.model_dump_json(), media_type="application/json")


@router.patch("/{token}", response_model=CartOut, responses=problems(404, 413, 422))
def update_cart(token: Token, body: CartDetails, session: SessionDep, settings: SettingsDep) -> CartOut:
    now = utcnow()
    cart = services.get_cart(session, token, now=now, lock=True)
    services.update_details(
        session,
        cart,
        settings=settings,
        now=now,
        email=body.email,
        shipping_country=body.shipping_country,
        shipping_method=body.shipping_method,
    )
    return _current(session, cart.token, settings, now)


@router.post(
    "/{token}/lines", status_code=201, response_model=CartOut, responses=problems(404, 409, 413, 422)
)
def add_line(token: Token, body: NewLine, session: SessionDep, settings: SettingsDep) -> CartOut:
    now = utcnow()
    cart = services.get_cart(session, token, now=now, lock=True)
    services.add_line(session, cart, sku=body.sku, quantity=body.quantity, settings=settings, now=now)
    return _current(session, cart.token, settings, now)


@router.patch("/{token}/lines/{line_id}", response_model=CartOut, responses=problems(404, 409, 413, 422))
def update_line(
    token: Token, line_id: LineId, body: LineChange, session: SessionDep, settings: SettingsDep
) -> CartOut:
    now = utcnow()
    cart = services.get_cart(session, token, now=now, lock=True)
    services.update_line(session, cart, line_id, quantity=body.quantity, settings=settings, now=now)
    return _current(session, cart.token, settings, now)


@router.delete("/{token}/lines/{line_id}", response_model=CartOut, responses=problems(404))
def remove_line(token: Token, line_id: LineId, session: SessionDep, settings: SettingsDep) -> CartOut:
    now = utcnow()
    cart = services.get_cart(session, token, now=now, lock=True)
    services.remove_line(session, cart, line_id, settings=settings, now=now)
    return _current(session, cart.token, settings, now)


# Rate limited like cart creation: codes must not be guessable by brute force.
@router.post(
    "/{token}/discount",
    response_model=CartOut,
    dependencies=[Depends(rate_limit("carts"))],
    responses=problems(404, 413, 422, 429),
)
def apply_discount(token: Token, body: DiscountIn, session: SessionDep, settings: SettingsDep) -> CartOut:
    now = utcnow()
    cart = services.get_cart(session, token, now=now, lock=True)
    services.apply_discount(session, cart, code=body.code, settings=settings, now=now)
    return _current(session, cart.token, settings, now)


@router.delete("/{token}/discount", response_model=CartOut, responses=problems(404))
def remove_discount(token: Token, session: SessionDep, settings: SettingsDep) -> CartOut:
    now = utcnow()
    cart = services.get_cart(session, token, now=now, lock=True)
    services.remove_discount(session, cart, settings=settings, now=now)
    return _current(session, cart.token, settings, now)
