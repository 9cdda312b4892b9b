"""Money given back: by the merchant through the order's provider, or reported by the provider."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.config import Settings
from shop.core.audit.services import record_audit
from shop.core.errors import Conflict, InvalidInput
from shop.core.notifications.services import EMAIL_REFUND, enqueue
from shop.core.orders.models import Order, PaymentStatus
from shop.core.payments.models import Payment, PaymentState, Refund, RefundState
from shop.core.payments.registry import get_provider

PAID_STATES = frozenset({PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED})
# A pending refund already promises the money; only a failed one frees it again.
_COUNTED = (RefundState.PENDING, RefundState.SUCCEEDED)


def _paid_payment(session: Session, order: Order, *, lock: bool = False) -> Payment | None:
    query = (
        select(Payment)
        .where(Payment.order_id == order.id, Payment.status == PaymentState.SUCCEEDED)
        .order_by(Payment.id.desc())
        .limit(1)
    )
    if lock:
        # Two refunds at once must not both pass the limit check (PostgreSQL; SQLite's
        # writers are already serialised by BEGIN IMMEDIATE).
        query = query.with_for_update()
    return session.scalars(query).first()


def _refunded(session: Session, order: Order) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.order_id == order.id, Refund.status.in_(_COUNTED)
        )
    )
    return int(total or 0)


def refundable_amount(session: Session, order: Order) -> int:
    """What is left to give back: paid minus refunds that succeeded or are under way."""
    payment = _paid_payment(session, order)
    if payment is None:
        return 0
    return max(0, payment.amount - _refunded(session, order))


def _update_payment_status(session: Session, order: Order, payment: Payment) -> None:
    refunded = _refunded(session, order)
    if refunded <= 0:
        return
    order.payment_status = (
        PaymentStatus.REFUNDED if refunded >= payment.amount else PaymentStatus.PARTIALLY_REFUNDED
    )


def _after_refund(
    session: Session, order: Order, payment: Payment, refund: Refund, *, actor: str, reason: str
) -> None:
    _update_payment_status(session, order, payment)
    enqueue(
        session,
        EMAIL_REFUND,
        {
            "order_id": order.id,
            "order_number": order.number,
            "email": order.email,
            "refund_id": refund.id,
            "amount": refund.amount,
            "currency": refund.currency,
        },
    )
    record_audit(
        session,
        actor=actor,
        action="refund",
        object_type="order",
        object_id=order.number,
        changes={
            "amount": refund.amount,
            "reason": reason,
            "refund_id": refund.id,
            "provider_reference": refund.provider_reference,
        },
    )
    session.flush()


def refund_order(
    session: Session, order: Order, *, amount: int | None, reason: str, actor: str, settings: Settings
) -> Refund:
    """Give back `amount` minor units (everything left when None) through the order's provider."""
    if order.payment_status not in PAID_STATES:
        raise Conflict(f"order #{order.number} is not paid; there is nothing to refund", field="amount")
    payment = _paid_payment(session, order, lock=True)
    if payment is None:
        raise Conflict(f"order #{order.number} has no successful payment to refund", field="amount")
    left = max(0, payment.amount - _refunded(session, order))
    if amount is None:
        if left == 0:
            raise Conflict(f"order #{order.number} is already fully refunded", field="amount")
        amount = left
    if amount <= 0:
        raise InvalidInput("a refund must be a positive amount", field="amount")
    if amount > left:
        raise InvalidInput(
            f"at most {left} can be refunded on order #{order.number} (paid {payment.amount}, "
            f"refunded {payment.amount - left})",
            field="amount",
            maximum=left,
        )
    provider = get_provider(payment.provider, settings)
    sequence = (
        session.scalar(select(func.count()).select_from(Refund).where(Refund.order_id == order.id)) or 0
    )
    refund = provider.refund(
        session,
        payment,
        amount,
        reason=reason,
        actor=actor,
        idempotency_key=f"refund-{order.number}-{sequence + 1}",
    )
    _after_refund(session, order, payment, refund, actor=actor, reason=reason)
    return refund


def record_provider_refund(
    session: Session, payment: Payment, *, amount: int, provider_reference: str
) -> Refund | None:
    """A refund made at the provider (its dashboard, or one of ours reported back).

    Recorded once per `provider_reference`; None when it is already known.
    """
    known = session.scalar(select(Refund).where(Refund.provider_reference == provider_reference))
    if known is not None:
        if known.status != RefundState.SUCCEEDED:
            known.status = RefundState.SUCCEEDED  # ours, pending until the provider confirmed
            session.flush()
        return None
    if amount <= 0:
        raise InvalidInput("a refund must be a positive amount", field="amount")
    order = payment.order
    refund = Refund(
        order_id=order.id,
        payment_id=payment.id,
        amount=amount,
        currency=payment.currency,
        reason="refunded at the provider",
        status=RefundState.SUCCEEDED,
        provider_reference=provider_reference,
        actor=payment.provider,
    )
    session.add(refund)
    session.flush()
    _after_refund(session, order, payment, refund, actor=payment.provider, reason=refund.reason)
    return refund
