"""The payment provider interface; `manual` and `stripe` implement it.

A provider never commits: it records Payment and Refund rows in the caller's session
and talks to the outside world with an idempotency key, so a retried request after a
crash never charges or refunds twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from shop.core.db import utcnow
from shop.core.orders.models import Order
from shop.core.payments.models import Payment, PaymentState, Refund


@dataclass(frozen=True, slots=True)
class PaymentPage:
    """Where the shopper pays: the provider's reference for it (None: no page) and its URL."""

    reference: str | None
    redirect_url: str | None
    details: dict[str, str]


class PaymentProvider(Protocol):
    name: str
    # Opening a page is a network call: checkout then commits the order first and opens the
    # page outside any transaction (no lock is held while the provider answers).
    remote: bool

    def open_page(self, order: Order, *, idempotency_key: str) -> PaymentPage:
        """Open the order's payment page at the provider; no database access. The same
        idempotency key gives the same page (the provider replays its answer)."""
        ...

    def record_page(self, session: Session, order: Order, page: PaymentPage) -> Payment:
        """Record the order's Payment (pending) for a page `open_page` gave."""
        ...

    def cancel_payment(self, reference: str) -> None:
        """Close the open payment page `reference` so the shopper can no longer pay; a page that
        is already closed is fine. Called by the outbox worker, outside any transaction."""
        ...

    def refund(
        self,
        session: Session,
        payment: Payment,
        amount: int,
        *,
        reason: str,
        actor: str,
        idempotency_key: str,
    ) -> Refund:
        """Give back `amount` minor units of `payment`; the caller has checked the limit."""
        ...


def pending_payment_row(order: Order, provider: str, page: PaymentPage, now: datetime) -> dict[str, Any]:
    """The columns of the order's pending Payment for `page` (checkout writes a local
    provider's with Core, in its own statement; `record_page` builds the Payment from it)."""
    return {
        "order_id": order.id,
        "provider": provider,
        "provider_reference": page.reference,
        "provider_payment_id": None,
        "amount": order.total,
        "currency": order.currency,
        "status": PaymentState.PENDING,
        "redirect_url": page.redirect_url,
        "details": page.details,
        "created_at": now,
        "updated_at": now,
    }


def record_pending(session: Session, order: Order, provider: str, page: PaymentPage) -> Payment:
    """`record_page` for any provider: the pending Payment, added and flushed."""
    payment = Payment(**pending_payment_row(order, provider, page, utcnow()))
    session.add(payment)
    session.flush()
    return payment
