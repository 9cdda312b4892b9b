"""Shipping an order's items, all at once or in parts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from shop.core.audit.services import record_audit
from shop.core.errors import Conflict, InvalidInput
from shop.core.notifications.services import EMAIL_SHIPPING_CONFIRMATION, enqueue
from shop.core.orders.models import (
    Fulfillment,
    FulfillmentLine,
    FulfillmentStatus,
    Order,
    OrderStatus,
    PaymentStatus,
)
from shop.core.orders.queries import lock_order

_SHIPPABLE_PAYMENTS = frozenset({PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED})


def fulfil_order(
    session: Session,
    order: Order,
    *,
    lines: dict[int, int] | None,
    carrier: str,
    tracking_number: str,
    actor: str,
) -> Fulfillment:
    """Ship `lines` (order line id -> quantity; None ships everything not yet shipped).

    Only paid, open orders ship, and never more of a line than was ordered minus what
    already shipped. The order completes when every line has shipped in full.
    """
    lock_order(session, order)
    if order.status != OrderStatus.OPEN or order.payment_status not in _SHIPPABLE_PAYMENTS:
        raise Conflict(
            f"order #{order.number} is {order.status} and {order.payment_status}; only paid, open "
            "orders can be fulfilled",
            field="status",
        )
    by_id = {line.id: line for line in order.lines}
    if lines is None:
        wanted = {line.id: line.quantity - line.quantity_fulfilled for line in order.lines}
        wanted = {line_id: qty for line_id, qty in wanted.items() if qty > 0}
    else:
        wanted = {}
        for line_id, qty in lines.items():
            line = by_id.get(line_id)
            if line is None:
                raise InvalidInput(f"order #{order.number} has no line {line_id}", field=f"lines.{line_id}")
            left = line.quantity - line.quantity_fulfilled
            if qty <= 0:
                raise InvalidInput("quantity to fulfil must be positive", field=f"lines.{line_id}")
            if qty > left:
                raise InvalidInput(
                    f"{line.sku}: only {left} of {line.quantity} left to fulfil",
                    field=f"lines.{line_id}",
                    available=left,
                )
            wanted[line_id] = qty
    if not wanted:
        raise Conflict(f"order #{order.number} has nothing left to fulfil", field="lines")

    fulfillment = Fulfillment(
        order_id=order.id, carrier=carrier.strip(), tracking_number=tracking_number.strip(), actor=actor
    )
    for line_id, qty in sorted(wanted.items()):
        fulfillment.lines.append(FulfillmentLine(order_line_id=line_id, quantity=qty))
        by_id[line_id].quantity_fulfilled += qty
    session.add(fulfillment)

    everything = all(line.quantity_fulfilled >= line.quantity for line in order.lines)
    order.fulfillment_status = FulfillmentStatus.FULFILLED if everything else FulfillmentStatus.PARTIAL
    if everything:
        order.status = OrderStatus.COMPLETED
    session.flush()
    enqueue(
        session,
        EMAIL_SHIPPING_CONFIRMATION,
        {
            "order_id": order.id,
            "order_number": order.number,
            "email": order.email,
            "fulfillment_id": fulfillment.id,
            "carrier": fulfillment.carrier,
            "tracking_number": fulfillment.tracking_number,
        },
    )
    record_audit(
        session,
        actor=actor,
        action="fulfil",
        object_type="order",
        object_id=order.number,
        changes={
            "fulfillment_id": fulfillment.id,
            "lines": {str(k): v for k, v in wanted.items()},
            "carrier": fulfillment.carrier,
            "tracking_number": fulfillment.tracking_number,
        },
    )
    session.flush()
    return fulfillment
