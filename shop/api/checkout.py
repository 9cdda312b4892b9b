"""POST /checkout: a cart becomes an order, once per Idempotency-Key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response
from pydantic import BaseModel, Field

from shop.api.auth import OptionalCustomer
from shop.api.deps import SessionDep, SettingsDep
from shop.api.metrics import ORDERS_PLACED, STOCK_CONFLICTS
from shop.api.ratelimit import rate_limit
from shop.api.types import CountryCode, EmailAddress, ShortText, StrictModel, problems
from shop.core.checkout.idempotency import StoredAnswer, claim, remember, request_hash
from shop.core.checkout.services import place_order
from shop.core.db import utcnow
from shop.core.inventory.allocation import InsufficientStock

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
    responses=problems(404, 409, 413, 422, 429, 503),
)
def checkout(
    body: CheckoutIn,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)],
    customer: OptionalCustomer,
) -> CheckoutOut:
    claimed = claim(
        session, scope=SCOPE, key=idempotency_key, digest=request_hash(body.model_dump(mode="json"))
    )
    if isinstance(claimed, StoredAnswer):
        response.status_code = claimed.status_code
        response.headers["Idempotent-Replayed"] = "true"
        return CheckoutOut.model_validate(claimed.body)
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
            customer_id=customer.id if customer else None,
        )
    except InsufficientStock:
        STOCK_CONFLICTS.inc()
        raise
    ORDERS_PLACED.inc()
    answer = CheckoutOut(
        order_number=placed.order_number,
        order_token=placed.order_token,
        status=placed.status,
        total=placed.total,
        currency=placed.currency,
        payment=PaymentOut(provider=placed.provider, redirect_url=placed.redirect_url),
    )
    remember(session, claimed, status_code=201, body=answer.model_dump(mode="json"))
    return answer
