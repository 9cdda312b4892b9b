"""The signed-in customer's own account and order history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from shop.api.auth import CurrentCustomer, CustomerOut, TokenOut, signed_in
from shop.api.deps import ReadSessionDep, SessionDep, SettingsDep
from shop.api.ratelimit import rate_limit
from shop.core.customers.services import change_password, customer_orders

router = APIRouter(prefix="/me", tags=["accounts"])


class OrderSummary(BaseModel):
    number: int
    token: str
    status: str
    payment_status: str
    fulfillment_status: str
    currency: str
    total: int
    item_count: int
    placed_at: datetime


class OrderList(BaseModel):
    items: list[OrderSummary]
    total: int
    page: int
    per_page: int


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


@router.get("")
def me(customer: CurrentCustomer) -> CustomerOut:
    return CustomerOut.model_validate(customer)


@router.get("/orders")
def my_orders(
    customer: CurrentCustomer,
    session: ReadSessionDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> OrderList:
    """Orders placed while signed in to this account, newest first."""
    result = customer_orders(session, customer, page=page, per_page=per_page)
    items = [
        OrderSummary(
            number=order.number,
            token=order.token,
            status=order.status,
            payment_status=order.payment_status,
            fulfillment_status=order.fulfillment_status,
            currency=order.currency,
            total=order.total,
            item_count=sum(line.quantity for line in order.lines),
            placed_at=order.placed_at,
        )
        for order in result.orders
    ]
    return OrderList(items=items, total=result.total, page=page, per_page=per_page)


@router.post("/password", dependencies=[Depends(rate_limit("auth"))])
def new_password(
    body: PasswordChangeIn, customer: CurrentCustomer, session: SessionDep, settings: SettingsDep
) -> TokenOut:
    """Change the password; every other session is signed out, this one gets a fresh token."""
    changed = change_password(
        session, customer.id, current_password=body.current_password, new_password=body.new_password
    )
    return TokenOut(**signed_in(settings, session, changed, None))
