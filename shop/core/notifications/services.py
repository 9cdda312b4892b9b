"""Writing side effects into the outbox, in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from shop.core.notifications.models import OutboxEvent

# Topics in use; a worker maps each to a handler (shop/core/notifications/worker.py).
EMAIL_ORDER_CONFIRMATION = "email.order_confirmation"
EMAIL_PASSWORD_RESET = "email.password_reset"
EMAIL_SHIPPING_CONFIRMATION = "email.shipping_confirmation"
EMAIL_REFUND = "email.refund"
SITE_REBUILD = "site.rebuild"
# Close a provider's open payment page (a Stripe Checkout Session) of a released order.
PAYMENT_CANCEL = "payment.cancel"


def enqueue(session: Session, topic: str, payload: dict[str, Any]) -> OutboxEvent:
    """Record a side effect to deliver after commit; lost with the transaction if it rolls back."""
    event = OutboxEvent(topic=topic, payload=payload)
    session.add(event)
    return event
