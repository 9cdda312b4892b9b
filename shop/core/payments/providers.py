"""The payment provider interface; `manual` and `stripe` implement it.

A provider never commits: it records Payment and Refund rows in the caller's session
and talks to the outside world with an idempotency key, so a retried request after a
crash never charges or refunds twice.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from shop.core.orders.models import Order
from shop.core.payments.models import Payment, Refund


class PaymentProvider(Protocol):
    name: str

    def start_payment(self, session: Session, order: Order, *, idempotency_key: str) -> Payment:
        """Create the order's Payment (pending) and, for redirect providers, its redirect_url."""
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
