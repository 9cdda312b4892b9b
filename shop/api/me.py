"""The signed-in customer's own account and order history."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from shop.api.auth import CurrentCustomer, CustomerOut
from shop.api.deps import ReadSessionDep
from shop.core.customers.services import customer_orders

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


@router.get("")
def me(customer: CurrentCustomer) -> CustomerOut:
    return CustomerOut.of(customer)


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
