"""GET /orders/{number}?token=: a guest's order status page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from shop.api.deps import ReadSessionDep
from shop.api.types import problems
from shop.core.orders.models import Order
from shop.core.orders.queries import guest_order, latest_payment
from shop.core.payments.models import Payment, PaymentState

router = APIRouter(tags=["orders"])


class OrderLineOut(BaseModel):
    sku: str
    title: str
    variant_title: str
    quantity: int
    quantity_fulfilled: int
    unit_price: int
    discount: int
    tax: int
    total: int


class ShipmentOut(BaseModel):
    carrier: str
    tracking_number: str
    tracking_url: str
    shipped_at: datetime


class OrderPaymentOut(BaseModel):
    provider: str
    status: str
    redirect_url: str | None  # where to pay, while the payment is pending


class OrderOut(BaseModel):
    number: int
    status: str
    payment_status: str
    fulfillment_status: str
    email: str
    placed_at: datetime
    paid_at: datetime | None
    cancelled_at: datetime | None
    currency: str
    subtotal: int
    discount: int
    discount_code: str | None
    shipping: int
    shipping_method: str
    tax: int
    prices_include_tax: bool
    total: int
    shipping_address: dict[str, Any] | None
    lines: list[OrderLineOut]
    shipments: list[ShipmentOut]
    payment: OrderPaymentOut | None


def _answer(order: Order, payment: Payment | None) -> OrderOut:
    return OrderOut(
        number=order.number,
        status=order.status.value,
        payment_status=order.payment_status.value,
        fulfillment_status=order.fulfillment_status.value,
        email=order.email,
        placed_at=order.placed_at,
        paid_at=order.paid_at,
        cancelled_at=order.cancelled_at,
        currency=order.currency,
        subtotal=order.subtotal,
        discount=order.discount_total,
        discount_code=order.discount_code,
        shipping=order.shipping_total,
        shipping_method=order.shipping_method_name,
        tax=order.tax_total,
        prices_include_tax=order.prices_include_tax,
        total=order.total,
        shipping_address=order.shipping_address,
        lines=[
            OrderLineOut(
                sku=line.sku,
                title=line.title,
                variant_title=line.variant_title,
                quantity=line.quantity,
                quantity_fulfilled=line.quantity_fulfilled,
                unit_price=line.unit_price,
                discount=line.discount_total,
                tax=line.tax_total,
                total=line.line_total,
            )
            for line in order.lines
        ],
        shipments=[
            ShipmentOut(
                carrier=f.carrier,
                tracking_number=f.tracking_number,
                tracking_url=f.tracking_url,
                shipped_at=f.created_at,
            )
            for f in order.fulfillments
        ],
        payment=OrderPaymentOut(
            provider=payment.provider,
            status=payment.status.value,
            redirect_url=payment.redirect_url if payment.status == PaymentState.PENDING else None,
        )
        if payment
        else None,
    )


@router.get("/orders/{order_number}", response_model=OrderOut, responses=problems(404, 422))
def get_order(
    order_number: Annotated[int, Path(ge=1)],
    token: Annotated[str, Query(min_length=1, max_length=64, description="the order's secret token")],
    session: ReadSessionDep,
) -> OrderOut:
    order = guest_order(session, order_number, token)
    return _answer(order, latest_payment(session, order))
