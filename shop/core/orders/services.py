"""An order's life after checkout: paid, released, expired, cancelled, refunded, fulfilled.

Every function takes the caller's session and never commits. State changes that can race
(a payment webhook against the expiry job, two admins pressing "cancel") go through a
guarded `UPDATE orders ... WHERE status IN (...)`, so exactly one of them wins and the
other sees the new state and does nothing.

Outbox payloads (the e-mail worker reads these):
- `email.order_confirmation`: {order_id, order_number, email, resend}
- `email.refund`: {order_id, order_number, email, refund_id, amount, currency}
- `email.shipping_confirmation`: {order_id, order_number, email, fulfillment_id, carrier, tracking_number}
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shop.config import Settings
from shop.core.audit.services import record_audit
from shop.core.db import utcnow
from shop.core.discounts.models import DiscountCode, DiscountRedemption
from shop.core.errors import Conflict, InvalidInput
from shop.core.inventory.allocation import (
    allocate_order,
    release_allocation,
    return_sold_stock,
    sell_allocation,
)
from shop.core.notifications.services import EMAIL_ORDER_CONFIRMATION, PAYMENT_CANCEL, enqueue
from shop.core.orders.fulfilment import fulfil_order
from shop.core.orders.models import Order, OrderStatus, PaymentStatus
from shop.core.orders.queries import latest_payment, lock_order
from shop.core.orders.refunds import (
    PAID_STATES,
    record_provider_refund,
    refund_order,
    refundable_amount,
)
from shop.core.payments.models import Payment, PaymentState

__all__ = [
    "REASON_EXPIRED",
    "REASON_PAYMENT_FAILED",
    "REASON_SESSION_EXPIRED",
    "cancel_order",
    "expire_unpaid_orders",
    "fulfil_order",
    "mark_order_paid",
    "record_provider_refund",
    "refund_order",
    "release_order",
    "resend_confirmation",
]

REASON_EXPIRED = "expired"  # not paid within pending_order_ttl_minutes
REASON_PAYMENT_FAILED = "payment_failed"
REASON_SESSION_EXPIRED = "payment_session_expired"  # e.g. Stripe checkout.session.expired


def _transition(session: Session, order: Order, allowed: set[OrderStatus], **values: object) -> bool:
    """Move `order` on only if it is still in one of `allowed`; False if someone else moved it."""
    result = session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status.in_(allowed))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(order)
    return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_order_paid(
    session: Session, order: Order, *, amount: int, provider_reference: str | None, actor: str
) -> None:
    """The provider (or the merchant, for manual payments) says the money arrived.

    Allocation becomes a sale, the order opens, the discount code counts one use and the
    confirmation e-mail is queued. Calling it again for a paid order changes nothing. A
    payment that arrives after the order was released takes its stock again, or raises
    InsufficientStock when the stock is gone (the caller then refunds).
    """
    if order.payment_status in PAID_STATES:
        return
    if amount != order.total:
        raise InvalidInput(
            f"order #{order.number} totals {order.total} but {amount} was paid", field="amount"
        )
    now = utcnow()
    # Two rounds: if a concurrent release cancels the order between our look and our
    # UPDATE, the second round sees it cancelled and takes the stock again first.
    for _ in range(2):
        was_cancelled = order.status == OrderStatus.CANCELLED
        if order.status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED):
            raise Conflict(
                f"order #{order.number} is {order.status}; it cannot be marked paid", field="status"
            )
        # The stock taken again must not outlive a transition that someone else won.
        attempt = session.begin_nested()
        if was_cancelled:
            allocate_order(session, order, actor=actor)
        if _transition(
            session,
            order,
            {order.status},
            status=OrderStatus.OPEN,
            payment_status=PaymentStatus.PAID,
            paid_at=now,
            expires_at=None,
            cancelled_at=None,
            cancel_reason="",
        ):
            attempt.commit()
            break
        attempt.rollback()
        session.refresh(order)
        if order.payment_status in PAID_STATES:
            return  # a concurrent call got there first
    else:
        raise Conflict(f"order #{order.number} changed while being marked paid; try again", field="status")

    payment = latest_payment(session, order)
    if payment is None:
        payment = Payment(
            order_id=order.id, provider=order.payment_provider, amount=amount, currency=order.currency
        )
        session.add(payment)
    payment.status = PaymentState.SUCCEEDED
    payment.amount = amount
    if provider_reference:
        payment.provider_payment_id = provider_reference

    sell_allocation(session, order, actor=actor)
    _redeem_discount(session, order)
    enqueue(session, EMAIL_ORDER_CONFIRMATION, _mail_payload(order, resend=False))
    record_audit(
        session,
        actor=actor,
        action="mark_paid",
        object_type="order",
        object_id=order.number,
        changes={
            "amount": amount,
            "provider_reference": provider_reference,
            "after_cancellation": was_cancelled,
        },
    )
    session.flush()


def _redeem_discount(session: Session, order: Order) -> None:
    if not order.discount_code:
        return
    code_id = session.scalar(select(DiscountCode.id).where(DiscountCode.code == order.discount_code))
    if code_id is None:
        return  # the merchant deleted the code since; the order keeps its price
    already = session.scalar(select(DiscountRedemption.id).where(DiscountRedemption.order_id == order.id))
    if already is not None:
        return
    session.execute(
        update(DiscountCode)
        .where(DiscountCode.id == code_id)
        .values(times_used=DiscountCode.times_used + 1)
        .execution_options(synchronize_session=False)
    )
    session.add(DiscountRedemption(discount_code_id=code_id, order_id=order.id, email=order.email.lower()))


def _mail_payload(order: Order, *, resend: bool) -> dict[str, object]:
    return {"order_id": order.id, "order_number": order.number, "email": order.email, "resend": resend}


def release_order(session: Session, order: Order, *, reason: str, actor: str) -> None:
    """An unpaid order gives its stock back and is cancelled (expired, failed, abandoned).

    Does nothing for an order already cancelled; refuses a paid one (use cancel_order).
    """
    if order.status == OrderStatus.CANCELLED:
        return
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise Conflict(
            f"order #{order.number} is {order.status}; only unpaid orders are released", field="status"
        )
    failed = reason == REASON_PAYMENT_FAILED
    moved = _transition(
        session,
        order,
        {OrderStatus.PENDING_PAYMENT},
        status=OrderStatus.CANCELLED,
        payment_status=PaymentStatus.FAILED if failed else PaymentStatus.VOIDED,
        cancelled_at=utcnow(),
        cancel_reason=reason[:255],
        expires_at=None,
    )
    if not moved:
        return  # paid or released meanwhile by a concurrent transaction
    if reason != REASON_SESSION_EXPIRED:  # the provider closed that page itself
        _cancel_open_payment_pages(session, order)
    _close_pending_payments(
        session,
        order,
        PaymentState.FAILED
        if failed
        else (
            PaymentState.EXPIRED
            if reason in (REASON_EXPIRED, REASON_SESSION_EXPIRED)
            else PaymentState.CANCELLED
        ),
    )
    released = release_allocation(session, order, actor=actor)
    record_audit(
        session,
        actor=actor,
        action="release",
        object_type="order",
        object_id=order.number,
        changes={"reason": reason, "units_released": released},
    )
    session.flush()


def _cancel_open_payment_pages(session: Session, order: Order) -> None:
    """A released order must not be payable any more: its provider closes the payment page
    after commit, through the outbox (a network call never runs inside this transaction)."""
    pages = session.execute(
        select(Payment.provider, Payment.provider_reference).where(
            Payment.order_id == order.id,
            Payment.status == PaymentState.PENDING,
            Payment.provider_reference.is_not(None),
        )
    ).all()
    for provider, reference in pages:
        enqueue(
            session,
            PAYMENT_CANCEL,
            {"provider": provider, "reference": reference, "order_number": order.number},
        )


def _close_pending_payments(session: Session, order: Order, state: PaymentState) -> None:
    session.execute(
        update(Payment)
        .where(Payment.order_id == order.id, Payment.status == PaymentState.PENDING)
        .values(status=state)
        .execution_options(synchronize_session="fetch")
    )


def expire_unpaid_orders(session: Session, *, now: datetime) -> int:
    """Release every order still unpaid after its `expires_at`; how many were released."""
    orders = session.scalars(
        select(Order)
        .where(Order.status == OrderStatus.PENDING_PAYMENT, Order.expires_at <= now)
        .order_by(Order.id)
    ).all()
    count = 0
    for order in orders:
        before = order.status
        release_order(session, order, reason=REASON_EXPIRED, actor="system")
        count += before != order.status
    return count


def cancel_order(session: Session, order: Order, *, reason: str, actor: str, settings: Settings) -> None:
    """The merchant cancels: stock goes back and whatever was paid is refunded.

    An unpaid order releases its allocation; a paid, unshipped one returns its sold units to
    on hand and refunds the rest of what was paid through the order's provider. Orders with
    shipped items cannot be cancelled (refund them instead). Cancelling twice does nothing.
    """
    lock_order(session, order)
    if order.status == OrderStatus.CANCELLED:
        return
    if order.status == OrderStatus.PENDING_PAYMENT:
        release_order(session, order, reason=reason or "cancelled", actor=actor)
        _audit_cancel(session, order, actor=actor, reason=reason, refunded=0)
        return
    if any(line.quantity_fulfilled for line in order.lines):
        raise Conflict(
            f"order #{order.number} has shipped items; refund it instead of cancelling", field="status"
        )
    moved = _transition(
        session,
        order,
        {OrderStatus.OPEN},
        status=OrderStatus.CANCELLED,
        cancelled_at=utcnow(),
        cancel_reason=reason[:255],
    )
    if not moved:
        return
    return_sold_stock(session, order, actor=actor)
    release_allocation(session, order, actor=actor)  # nothing, unless paid after a release race
    refunded = 0
    if order.payment_status in PAID_STATES and refundable_amount(session, order) > 0:
        refund = refund_order(
            session, order, amount=None, reason=reason or "order cancelled", actor=actor, settings=settings
        )
        refunded = refund.amount
    _audit_cancel(session, order, actor=actor, reason=reason, refunded=refunded)
    session.flush()


def _audit_cancel(session: Session, order: Order, *, actor: str, reason: str, refunded: int) -> None:
    record_audit(
        session,
        actor=actor,
        action="cancel",
        object_type="order",
        object_id=order.number,
        changes={"reason": reason, "refunded": refunded},
    )


def resend_confirmation(session: Session, order: Order, *, actor: str) -> None:
    """Queue the order confirmation again (a shopper lost it); only for paid orders."""
    if order.payment_status not in PAID_STATES:
        raise Conflict(
            f"order #{order.number} is not paid; there is no confirmation to send", field="payment_status"
        )
    enqueue(session, EMAIL_ORDER_CONFIRMATION, _mail_payload(order, resend=True))
    record_audit(
        session,
        actor=actor,
        action="resend_confirmation",
        object_type="order",
        object_id=order.number,
        changes={"email": order.email},
    )
    session.flush()
