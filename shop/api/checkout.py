"""POST /checkout: a cart becomes an order, once per Idempotency-Key."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from shop.api.admission import Gate
from shop.api.auth import OptionalCustomer
from shop.api.metrics import ORDERS_PLACED, STOCK_CONFLICTS
from shop.api.ratelimit import rate_limit
from shop.api.types import CountryCode, EmailAddress, ShortText, StrictModel, problems
from shop.config import Settings
from shop.core.checkout.idempotency import (
    Claim,
    KeyAnswer,
    StoredAnswer,
    answered,
    claim,
    forget,
    pending,
    remember,
    request_hash,
)
from shop.core.checkout.services import (
    PlacedOrder,
    abandon_checkout,
    order_awaiting_payment,
    payment_key,
    place_order,
    record_payment_page,
)
from shop.core.db import unit_of_work, utcnow
from shop.core.errors import DomainError
from shop.core.inventory.allocation import InsufficientStock
from shop.core.orders.models import Order
from shop.core.payments.errors import PaymentProviderUnreachable
from shop.core.payments.providers import PaymentPage
from shop.core.payments.registry import get_provider

router = APIRouter(tags=["checkout"])

SCOPE = "checkout"


class AddressIn(StrictModel):
    first_name: ShortText = ""
    last_name: Annotated[str, Field(min_length=1, max_length=100)]
    company: ShortText = ""
    line1: Annotated[str, Field(min_length=1, max_length=255)]
    line2: ShortText = ""
    city: Annotated[str, Field(min_length=1, max_length=100)]
    region: Annotated[str, Field(max_length=100)] = ""
    postal_code: Annotated[str, Field(max_length=20)] = ""
    country: CountryCode
    phone: Annotated[str, Field(max_length=40)] = ""


class CheckoutIn(StrictModel):
    cart_token: Annotated[str, Field(min_length=1, max_length=64)]
    email: EmailAddress
    shipping_address: AddressIn
    billing_address: AddressIn | None = None
    shipping_method: Annotated[str, Field(min_length=1, max_length=64)]
    customer_note: Annotated[str, Field(max_length=2000)] = ""


class PaymentOut(BaseModel):
    provider: str
    redirect_url: str | None


class CheckoutOut(BaseModel):
    order_number: int
    order_token: str
    status: str
    total: int
    currency: str
    payment: PaymentOut


@router.post(
    "/checkout",
    status_code=201,
    response_model=CheckoutOut,
    dependencies=[Depends(rate_limit("checkout"))],
    responses=problems(404, 409, 413, 422, 429, 502, 503),
)
async def checkout(
    body: CheckoutIn,
    request: Request,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)],
    customer: OptionalCustomer,
) -> Response:
    """One transaction with a local provider (manual). With a remote one (Stripe): the order,
    its allocation and the key's claim commit first; the payment page is opened with no
    transaction open (SQLite's write lock and the stock rows' locks are never held across a
    network call); a second short transaction stores it with the answer.

    Each transaction runs in the threadpool behind the process's checkout gate (at most
    `checkout_concurrency` at once, the rest in arrival order); the call to the provider
    does not hold a place at the gate. The transactions are this route's own, not a
    dependency's: the commit runs in the same thread, so the stock rows' locks are not held
    across a trip back to the event loop. The answer is serialised here, once, from the dict
    the key remembers: FastAPI's second validation against response_model (which still
    documents it) would cost another trip to the threadpool.
    """
    state = request.app.state
    gate: Gate = state.checkout_gate
    customer_id = customer.id if customer else None
    async with gate:
        opened = await run_in_threadpool(_open, state, body, idempotency_key, customer_id)
    if isinstance(opened, Response):
        return opened
    order, claimed = opened
    settings: Settings = state.settings
    provider = get_provider(settings.payment_provider, settings)
    try:
        page = await run_in_threadpool(
            provider.open_page, order, idempotency_key=payment_key(idempotency_key)
        )
    except PaymentProviderUnreachable:
        # The order stays pending with its stock; a retry with the same key finishes it, and
        # the reaper releases it if none comes within the pending-order time.
        raise
    except Exception as exc:
        # Refused (or anything else that a retry would only repeat): the stock goes back now.
        reason = exc.detail if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        async with gate:
            await run_in_threadpool(_abandon, state.sessions, order.id, body.cart_token, reason, claimed)
        raise
    async with gate:
        return await run_in_threadpool(_record, state, order.id, page, claimed)


def _open(
    state: State, body: CheckoutIn, idempotency_key: str, customer_id: int | None
) -> Response | tuple[Order, Claim]:
    """The first transaction: claim the key, then replay its answer, place the order (and
    answer at once when the provider is local), or find the order an earlier try placed.
    With a remote provider: (the order, the claim) for the payment page."""
    sessions: sessionmaker[Session] = state.sessions
    # From the app's state rather than SettingsDep: a dependency costs its own resolution.
    settings: Settings = state.settings
    digest = request_hash(body.model_dump(mode="json"))
    with unit_of_work(sessions) as session:
        claimed = claim(session, scope=SCOPE, key=idempotency_key, digest=digest)
        if isinstance(claimed, StoredAnswer):
            return _json(claimed.body, claimed.status_code, replayed=True)
        if claimed.order_id is not None:
            # An earlier request with this key placed the order; its payment page is missing.
            return order_awaiting_payment(session, claimed.order_id), claimed
        owned = claimed

        def keep(placed: PlacedOrder) -> KeyAnswer:
            if placed.needs_payment_page:
                return pending(owned, order_id=placed.order_id)
            return answered(owned, status_code=201, body=_out(placed))

        placed = _place(session, body, settings, idempotency_key, customer_id, keep)
        if placed.needs_payment_page:
            return placed.order, claimed
    ORDERS_PLACED.inc()  # committed, with its answer
    return _json(_out(placed), 201)


def _record(state: State, order_id: int, page: PaymentPage, claimed: Claim) -> Response:
    """The second transaction: the payment page and the answer the key remembers."""
    with unit_of_work(state.sessions) as session:
        placed = record_payment_page(session, order_id, page, settings=state.settings)
        answer = _out(placed)
        remember(session, claimed, status_code=201, body=answer)
    # Counted here, not when the order was written: the provider may still have refused it.
    ORDERS_PLACED.inc()
    return _json(answer, 201)


def _abandon(
    sessions: sessionmaker[Session], order_id: int, cart_token: str, reason: str, claimed: Claim
) -> None:
    with unit_of_work(sessions) as session:
        abandon_checkout(session, order_id, cart_token=cart_token, reason=reason)
        forget(session, claimed)


def _json(answer: dict[str, Any], status_code: int, *, replayed: bool = False) -> Response:
    response = Response(
        json.dumps(answer, separators=(",", ":"), ensure_ascii=False).encode(),
        status_code=status_code,
        media_type="application/json",
    )
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _place(
    session: Session,
    body: CheckoutIn,
    settings: Settings,
    idempotency_key: str,
    customer_id: int | None,
    key_answer: Callable[[PlacedOrder], KeyAnswer],
) -> PlacedOrder:
    try:
        placed = place_order(
            session,
            cart_token=body.cart_token,
            email=body.email,
            shipping_address=body.shipping_address.model_dump(),
            billing_address=body.billing_address.model_dump() if body.billing_address else None,
            shipping_method=body.shipping_method,
            customer_note=body.customer_note,
            settings=settings,
            now=utcnow(),
            idempotency_key=idempotency_key,
            customer_id=customer_id,
            key_answer=key_answer,
        )
    except InsufficientStock:
        STOCK_CONFLICTS.inc()
        raise
    return placed


def _out(placed: PlacedOrder) -> dict[str, Any]:
    """The answer (CheckoutOut's shape) as plain JSON values."""
    return {
        "order_number": placed.order_number,
        "order_token": placed.order_token,
        "status": placed.status,
        "total": placed.total,
        "currency": placed.currency,
        "payment": {"provider": placed.provider, "redirect_url": placed.redirect_url},
    }
