"""The order actions: fulfil, cancel, refund, resend confirmation, mark paid.

Each calls the order service (shop.core.orders.services), which checks the rules
(refund never more than was paid, only paid orders ship, ...) and writes the audit
row and outbox events; the admin only gathers the merchant's input.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from wtforms import Form, IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from shop.admin.fields import MoneyField, format_money
from shop.config import Settings
from shop.core.errors import InvalidInput, NotFound
from shop.core.orders.models import Order
from shop.core.orders.refunds import refundable_amount
from shop.core.orders.services import (
    cancel_order,
    fulfil_order,
    mark_order_paid,
    refund_order,
    resend_confirmation,
)

LINE_PREFIX = "line_"


def load_order(session: Session, pk: int) -> Order:
    order = session.get(Order, pk)
    if order is None:
        raise NotFound(f"order {pk} does not exist")
    return order


def describe_orders(session: Session, pks: list[int]) -> list[str]:
    orders = [session.get(Order, pk) for pk in pks]
    return [
        f"#{o.number} — {o.email}, {format_money(o.total, o.currency)}, {o.status.value}, "
        f"{o.payment_status.value}, {o.fulfillment_status.value}"
        for o in orders
        if o is not None
    ]


def fulfil_form(session: Session, pks: list[int], posted: FormData | None) -> Form:
    order = load_order(session, pks[0])
    fields: dict[str, Any] = {
        "carrier": StringField("Carrier", [Length(max=100)]),
        "tracking_number": StringField("Tracking number", [Length(max=100)]),
    }
    for line in order.lines:
        left = line.quantity - line.quantity_fulfilled
        if left > 0:
            fields[f"{LINE_PREFIX}{line.id}"] = IntegerField(
                f"{line.sku} {line.title} ({left} to ship)",
                [Optional(), NumberRange(min=0, max=left)],
                default=left,
            )
    return type("FulfilForm", (Form,), fields)(posted)


def run_fulfil(session: Session, order_id: int, data: dict[str, Any], actor: str) -> str:
    order = load_order(session, order_id)
    lines = {int(k[len(LINE_PREFIX) :]): v for k, v in data.items() if k.startswith(LINE_PREFIX) and v}
    if not lines:
        raise InvalidInput("choose at least one item to ship", field="lines")
    fulfillment = fulfil_order(
        session,
        order,
        lines=lines,
        carrier=data.get("carrier") or "",
        tracking_number=data.get("tracking_number") or "",
        actor=actor,
    )
    shipped = sum(line.quantity for line in fulfillment.lines)
    return f"Order #{order.number}: {shipped} item(s) marked as shipped."


class CancelForm(Form):
    reason = StringField("Reason", [InputRequired(), Length(max=255)])


def run_cancel(session: Session, order_id: int, data: dict[str, Any], actor: str, settings: Settings) -> str:
    order = load_order(session, order_id)
    cancel_order(session, order, reason=data["reason"], actor=actor, settings=settings)
    return f"Order #{order.number} cancelled; its stock is back and any payment refunded."


def refund_form(currency: str) -> type[Form]:
    class RefundForm(Form):
        amount = MoneyField(
            f"Amount ({currency})",
            [Optional()],
            currency=currency,
            description="Empty refunds everything not yet refunded.",
        )
        reason = StringField("Reason", [InputRequired(), Length(max=255)])

    return RefundForm


def refund_note(session: Session, order_id: int) -> str:
    order = load_order(session, order_id)
    return f"Refundable now: {format_money(refundable_amount(session, order), order.currency)}"


def run_refund(session: Session, order_id: int, data: dict[str, Any], actor: str, settings: Settings) -> str:
    order = load_order(session, order_id)
    refund = refund_order(
        session, order, amount=data.get("amount"), reason=data["reason"], actor=actor, settings=settings
    )
    return f"Refunded {format_money(refund.amount, order.currency)} on order #{order.number}."


def run_resend(session: Session, order_ids: list[int], actor: str) -> str:
    numbers = []
    for order_id in order_ids:
        order = load_order(session, order_id)
        resend_confirmation(session, order, actor=actor)
        numbers.append(f"#{order.number}")
    return f"Confirmation queued again for {', '.join(numbers)}."


def mark_paid_form(currency: str) -> type[Form]:
    class MarkPaidForm(Form):
        amount = MoneyField(f"Amount received ({currency})", [InputRequired()], currency=currency)
        provider_reference = StringField("Reference (bank transfer, receipt)", [Length(max=255)])

    return MarkPaidForm


def run_mark_paid(session: Session, order_id: int, data: dict[str, Any], actor: str) -> str:
    order = load_order(session, order_id)
    if order.payment_provider != "manual":
        raise InvalidInput(
            f"order #{order.number} is paid through {order.payment_provider}; "
            "its payment is confirmed by the provider, not by hand",
            field="amount",
        )
    mark_order_paid(
        session,
        order,
        amount=data["amount"],
        provider_reference=data.get("provider_reference") or None,
        actor=actor,
    )
    return f"Order #{order.number} marked as paid."
