"""What a Stripe webhook event does to our orders; each event id at most once.

The event's id is written (WebhookEvent, unique per provider) in the same transaction as its
effect, before the effect: a replay, or the same event delivered twice at once, finds the row
and changes nothing. Events this shop cannot place (no such order or payment) raise
UnknownOrder; the caller rolls back and tells Stripe 200, so it stops retrying.

- checkout.session.completed (paid) and .async_payment_succeeded: the order is paid, when
  the amount and currency are the order's. A payment for an order that timed out takes its
  stock again; when the stock was sold meanwhile, or the order was cancelled on purpose (by
  the merchant, a failed payment), the money is refunded at once.
- checkout.session.expired: the unpaid order gives its stock back.
- checkout.session.async_payment_failed: the order gives its stock back (payment failed).
- payment_intent.payment_failed: counted on the payment; the session stays open for another
  try, so nothing is released until it expires.
- charge.refunded: each refund of the charge is recorded once (ours or made in Stripe).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop.core.audit.services import record_audit
from shop.core.inventory.allocation import InsufficientStock
from shop.core.orders.models import Order, OrderStatus, PaymentStatus
from shop.core.orders.services import (
    REASON_EXPIRED,
    REASON_PAYMENT_FAILED,
    REASON_SESSION_EXPIRED,
    mark_order_paid,
    record_provider_refund,
    release_order,
)
from shop.core.payments.models import Payment, PaymentState
from shop.core.payments.stripe_provider import NAME, StripeProvider
from shop.core.site.models import WebhookEvent

log = logging.getLogger(__name__)

# Outcomes, as the webhook answers them and metrics count them.
PAID = "paid"
AWAITING_PAYMENT = "awaiting_payment"
RELEASED = "released"
PAYMENT_FAILED = "payment_failed"
REFUNDED = "refunded"
AMOUNT_MISMATCH = "amount_mismatch"
LATE_PAYMENT_REFUNDED = "late_payment_refunded"
CANCELLED_ORDER_REFUNDED = "cancelled_order_refunded"
NO_CHANGE = "no_change"
IGNORED = "ignored"
DUPLICATE = "duplicate"


class AlreadyHandled(Exception):
    """This event id was handled before (or is being handled by a concurrent request)."""


class UnknownOrder(Exception):
    """The event names no order or payment of this shop."""


Handler = Callable[[Session, dict[str, Any], StripeProvider, str], str]


def handle_stripe_event(session: Session, event: dict[str, Any], *, provider: StripeProvider) -> str:
    handler = HANDLERS.get(event["type"])
    if handler is None:
        return IGNORED
    _claim(session, event)
    return handler(session, event["data"]["object"], provider, event["id"])


def _claim(session: Session, event: dict[str, Any]) -> None:
    known = select(WebhookEvent.id).where(WebhookEvent.provider == NAME, WebhookEvent.event_id == event["id"])
    if session.scalar(known) is not None:
        raise AlreadyHandled(event["id"])
    try:
        # On PostgreSQL a concurrent delivery of the same event waits here for the first
        # transaction, then fails on the unique key instead of applying the effect twice.
        with session.begin_nested():
            session.add(WebhookEvent(provider=NAME, event_id=event["id"], event_type=event["type"]))
    except IntegrityError:
        raise AlreadyHandled(event["id"]) from None


def _metadata_order(session: Session, obj: dict[str, Any]) -> Order:
    order_id = str((obj.get("metadata") or {}).get("order_id") or obj.get("client_reference_id") or "")
    order = session.get(Order, int(order_id)) if order_id.isdigit() else None
    if order is None:
        raise UnknownOrder(f"no order {order_id or '(none named)'} for Stripe object {obj.get('id')}")
    return order


def _session_payment(session: Session, obj: dict[str, Any]) -> tuple[Order, Payment]:
    order = _metadata_order(session, obj)
    payment = session.scalar(
        select(Payment).where(Payment.provider == NAME, Payment.provider_reference == obj["id"])
    )
    if payment is None or payment.order_id != order.id:
        raise UnknownOrder(f"checkout session {obj['id']} belongs to no payment of order #{order.number}")
    return order, payment


def _completed(session: Session, obj: dict[str, Any], provider: StripeProvider, event_id: str) -> str:
    order, payment = _session_payment(session, obj)
    if obj.get("payment_status") not in ("paid", "no_payment_required"):
        return AWAITING_PAYMENT  # e.g. a bank debit; async_payment_succeeded follows
    return _paid(session, obj, order, payment, provider, event_id)


def _async_succeeded(session: Session, obj: dict[str, Any], provider: StripeProvider, event_id: str) -> str:
    order, payment = _session_payment(session, obj)
    return _paid(session, obj, order, payment, provider, event_id)


def _paid(
    session: Session,
    obj: dict[str, Any],
    order: Order,
    payment: Payment,
    provider: StripeProvider,
    event_id: str,
) -> str:
    amount, currency = obj.get("amount_total"), str(obj.get("currency") or "").upper()
    intent = obj.get("payment_intent")
    if amount != order.total or currency != order.currency:
        log.error(
            "Stripe session %s paid %s %s for order #%s, which totals %s %s; not marked paid",
            obj["id"],
            amount,
            currency,
            order.number,
            order.total,
            order.currency,
        )
        payment.details = {**payment.details, "mismatch": {"amount": amount, "currency": currency}}
        record_audit(
            session,
            actor=NAME,
            action="payment_mismatch",
            object_type="order",
            object_id=order.number,
            changes={
                "amount": amount,
                "currency": currency,
                "session": obj["id"],
                "event": event_id,
            },
        )
        return AMOUNT_MISMATCH
    if order.payment_status in (
        PaymentStatus.PAID,
        PaymentStatus.PARTIALLY_REFUNDED,
        PaymentStatus.REFUNDED,
    ):
        return NO_CHANGE
    if order.status == OrderStatus.CANCELLED and order.cancel_reason != REASON_EXPIRED:
        # Cancelled on purpose (not merely timed out while the shopper was paying): keep it so.
        reason, outcome = "paid after the order was cancelled", CANCELLED_ORDER_REFUNDED
    else:
        try:
            mark_order_paid(session, order, amount=amount, provider_reference=intent, actor=NAME)
            return PAID
        except InsufficientStock:
            reason, outcome = "paid after the order expired; out of stock", LATE_PAYMENT_REFUNDED
    log.warning("order #%s: %s; refunding %s", order.number, reason, amount)
    _refund_unwanted(session, order, payment, intent, provider, event_id, reason=reason)
    return outcome


def _refund_unwanted(
    session: Session,
    order: Order,
    payment: Payment,
    intent: str | None,
    provider: StripeProvider,
    event_id: str,
    *,
    reason: str,
) -> None:
    """Money for an order that will not ship: give all of it straight back."""
    payment.status = PaymentState.SUCCEEDED
    payment.provider_payment_id = intent
    session.flush()
    provider.refund(
        session,
        payment,
        payment.amount,
        reason=reason,
        actor=NAME,
        idempotency_key=f"unwanted-{event_id}",
    )
    order.payment_status = PaymentStatus.REFUNDED
    record_audit(
        session,
        actor=NAME,
        action="refund_unwanted_payment",
        object_type="order",
        object_id=order.number,
        changes={"amount": payment.amount, "reason": reason, "event": event_id},
    )
    session.flush()


def _release(reason: str, outcome: str) -> Handler:
    def handler(session: Session, obj: dict[str, Any], provider: StripeProvider, event_id: str) -> str:
        order, _payment = _session_payment(session, obj)
        if order.status != OrderStatus.PENDING_PAYMENT:
            return NO_CHANGE
        release_order(session, order, reason=reason, actor=NAME)
        return outcome

    return handler


def _intent_failed(session: Session, obj: dict[str, Any], provider: StripeProvider, event_id: str) -> str:
    order = _metadata_order(session, obj)
    payment = session.scalar(
        select(Payment)
        .where(Payment.order_id == order.id, Payment.provider == NAME)
        .order_by(Payment.id.desc())
        .limit(1)
    )
    if payment is None:
        raise UnknownOrder(f"order #{order.number} has no Stripe payment")
    error = obj.get("last_payment_error") or {}
    payment.details = {
        **payment.details,
        "failed_attempts": int(payment.details.get("failed_attempts", 0)) + 1,
        "last_failure": str(error.get("message") or error.get("code") or "declined")[:500],
    }
    session.flush()
    return PAYMENT_FAILED


def _charge_refunded(session: Session, obj: dict[str, Any], provider: StripeProvider, event_id: str) -> str:
    intent = obj.get("payment_intent")
    payment = (
        session.scalar(select(Payment).where(Payment.provider == NAME, Payment.provider_payment_id == intent))
        if intent
        else None
    )
    if payment is None:
        raise UnknownOrder(f"charge {obj.get('id')} belongs to no payment of this shop")
    recorded = 0
    for refund in provider.charge_refunds(obj):
        if refund.get("status") == "succeeded":
            new = record_provider_refund(
                session, payment, amount=int(refund["amount"]), provider_reference=str(refund["id"])
            )
            recorded += new is not None
    return REFUNDED if recorded else NO_CHANGE


HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": _completed,
    "checkout.session.async_payment_succeeded": _async_succeeded,
    "checkout.session.async_payment_failed": _release(REASON_PAYMENT_FAILED, PAYMENT_FAILED),
    "checkout.session.expired": _release(REASON_SESSION_EXPIRED, RELEASED),
    "payment_intent.payment_failed": _intent_failed,
    "charge.refunded": _charge_refunded,
}
EVENT_TYPES = sorted(HANDLERS)
