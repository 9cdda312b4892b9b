"""The manual provider: no keys, no redirect to a payment page.

The shopper pays by bank transfer, cash or invoice; the order waits in pending payment
until the merchant marks it paid in the admin. Money moves outside the shop, so a refund
is recorded as succeeded the moment the merchant issues it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy.orm import Session

from shop.config import Settings
from shop.core.orders.models import Order
from shop.core.payments.models import Payment, Refund, RefundState
from shop.core.payments.providers import PaymentPage, record_pending

# Where the storefront shows a guest their order (the generator renders this page).
ORDER_PAGE = "/order/"


def order_page_url(settings: Settings, order: Order) -> str:
    return f"{settings.site_url}{ORDER_PAGE}?{urlencode({'number': order.number, 'token': order.token})}"


class ManualProvider:
    name = "manual"
    remote = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def open_page(self, order: Order, *, idempotency_key: str) -> PaymentPage:
        # No payment page: the shopper goes straight to the order's status page.
        return PaymentPage(
            reference=None,
            redirect_url=order_page_url(self.settings, order),
            details={"idempotency_key": idempotency_key},
        )

    def record_page(self, session: Session, order: Order, page: PaymentPage) -> Payment:
        return record_pending(session, order, self.name, page)

    def cancel_payment(self, reference: str) -> None:
        """Nothing to close: a manual payment has no payment page."""

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
        refund = Refund(
            order_id=payment.order_id,
            payment_id=payment.id,
            amount=amount,
            currency=payment.currency,
            reason=reason,
            status=RefundState.SUCCEEDED,
            provider_reference=None,
            actor=actor,
        )
        session.add(refund)
        session.flush()
        return refund
