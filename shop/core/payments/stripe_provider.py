"""Stripe: Checkout Sessions to take the money, the Refund API to give it back.

The session's line items are the order's own amounts: each line at its discounted price, the
tax as a line when prices exclude it, the shipping as a fixed shipping rate. So the total a
shopper pays at Stripe is the order total to the minor unit, and the provider refuses a
session whose total Stripe computed otherwise.

Every call carries an idempotency key (salted with the order's secret token, so keys never
collide across stores or a reset test database), so a retried request never charges or
refunds twice.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from functools import lru_cache
from typing import Any

import stripe
from sqlalchemy.orm import Session

from shop.config import Settings
from shop.core.errors import DomainError, InvalidInput
from shop.core.orders.models import Order, OrderLine
from shop.core.payments.errors import PaymentFailed, PaymentProviderUnreachable, ProviderUnavailable
from shop.core.payments.manual import order_page_url
from shop.core.payments.models import Payment, Refund, RefundState
from shop.core.payments.providers import PaymentPage, record_pending

NAME = "stripe"
# Stripe accepts session lifetimes between 30 minutes and 24 hours, counted from when the
# session is made. We count from the order's placement instead, so that a retry sends the very
# same parameters under the same idempotency key; the extra quarter of an hour is how late a
# retry may still make a session Stripe accepts.
MIN_SESSION_LIFETIME = timedelta(minutes=31) + timedelta(minutes=15)
MAX_SESSION_LIFETIME = timedelta(hours=23)
SIGNATURE_TOLERANCE_SECONDS = 300
REFUND_STATES = {
    "succeeded": RefundState.SUCCEEDED,
    "pending": RefundState.PENDING,
    "requires_action": RefundState.PENDING,
    "failed": RefundState.FAILED,
    "canceled": RefundState.FAILED,
}


log = logging.getLogger(__name__)


class InvalidSignature(DomainError):
    code = "invalid-signature"
    status = 400


@lru_cache(maxsize=8)
def _client(api_key: str, api_base: str | None) -> stripe.StripeClient:
    base = {"api": api_base} if api_base else None
    return stripe.StripeClient(api_key, base_addresses=base, max_network_retries=2)  # type: ignore[arg-type]


def _line_name(line: OrderLine) -> str:
    variant = f" - {line.variant_title}" if line.variant_title and line.variant_title != "Default" else ""
    return f"{line.title}{variant}"[:250]


def _item(currency: str, name: str, unit_amount: int, quantity: int) -> dict[str, Any]:
    return {
        "price_data": {
            "currency": currency,
            "unit_amount": unit_amount,
            "product_data": {"name": name},
        },
        "quantity": quantity,
    }


def line_items(order: Order) -> list[dict[str, Any]]:
    """The order as Stripe line items; they add up to the order total less shipping."""
    currency = order.currency.lower()
    items = []
    for line in order.lines:
        if line.line_total == line.unit_price * line.quantity:
            items.append(_item(currency, _line_name(line), line.unit_price, line.quantity))
        elif line.line_total % line.quantity == 0:
            items.append(_item(currency, _line_name(line), line.line_total // line.quantity, line.quantity))
        else:
            # A discount that does not divide evenly per unit: one item for the whole line.
            items.append(_item(currency, f"{_line_name(line)} x {line.quantity}", line.line_total, 1))
    if order.tax_total and not order.prices_include_tax:
        items.append(_item(currency, "Tax", order.tax_total, 1))
    return items


def session_params(settings: Settings, order: Order) -> dict[str, Any]:
    """The Checkout Session for `order`, made only of what the order holds: Stripe answers a
    repeated idempotency key with the first answer only when the parameters are the same."""
    placed = order.placed_at
    items = line_items(order)
    charged = sum(item["price_data"]["unit_amount"] * item["quantity"] for item in items)
    if charged + order.shipping_total != order.total:
        raise InvalidInput(
            f"order #{order.number}: lines, tax and shipping add up to "
            f"{charged + order.shipping_total}, not the total {order.total}",
            field="total",
        )
    metadata = {"order_id": str(order.id), "order_number": str(order.number)}
    expires = min(
        max(order.expires_at or placed, placed + MIN_SESSION_LIFETIME), placed + MAX_SESSION_LIFETIME
    )
    page = order_page_url(settings, order)
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": items,
        "customer_email": order.email,
        "client_reference_id": str(order.id),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        # Stripe fills in {CHECKOUT_SESSION_ID}; the order page shows the status either way.
        "success_url": f"{page}&session_id={{CHECKOUT_SESSION_ID}}",
        "cancel_url": f"{page}&cancelled=1",
        "expires_at": int(expires.timestamp()),
    }
    if order.shipping_total:
        params["shipping_options"] = [
            {
                "shipping_rate_data": {
                    "type": "fixed_amount",
                    "display_name": (order.shipping_method_name or "Shipping")[:100],
                    "fixed_amount": {
                        "amount": order.shipping_total,
                        "currency": order.currency.lower(),
                    },
                }
            }
        ]
    return params


# Failures after which nobody knows whether Stripe opened the session: a retry with the same
# idempotency key finds out. (The client has retried these twice already.)
_UNREACHABLE = (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError, stripe.IdempotencyError)


class StripeProvider:
    name = NAME
    remote = True

    def __init__(self, settings: Settings) -> None:
        if not settings.stripe_secret_key:
            raise ProviderUnavailable("Stripe needs SHOP_STRIPE_SECRET_KEY", field="stripe_secret_key")
        self.settings = settings
        self.client = _client(settings.stripe_secret_key, settings.stripe_api_base)

    def _key(self, order_token: str, idempotency_key: str) -> str:
        return f"shop-{order_token[:16]}-{idempotency_key}"[:255]

    def open_page(self, order: Order, *, idempotency_key: str) -> PaymentPage:
        params = session_params(self.settings, order)
        try:
            checkout = self.client.v1.checkout.sessions.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": self._key(order.token, idempotency_key)},
            )
        except _UNREACHABLE as exc:
            raise PaymentProviderUnreachable(
                f"Stripe could not open the checkout session: {exc.user_message or exc}; "
                "retry with the same Idempotency-Key"
            ) from exc
        except stripe.StripeError as exc:
            raise PaymentFailed(f"Stripe refused the checkout session: {exc.user_message or exc}") from exc
        if checkout.amount_total != order.total or (checkout.currency or "").upper() != order.currency:
            raise PaymentFailed(
                f"Stripe computed {checkout.amount_total} {checkout.currency} for order "
                f"#{order.number}, which totals {order.total} {order.currency}; "
                "not sending the shopper there"
            )
        return PaymentPage(
            reference=checkout.id,
            redirect_url=checkout.url,
            details={"checkout_session": checkout.id, "idempotency_key": idempotency_key},
        )

    def record_page(self, session: Session, order: Order, page: PaymentPage) -> Payment:
        return record_pending(session, order, self.name, page)

    def cancel_payment(self, reference: str) -> None:
        """Expire the Checkout Session, so a released order can no longer be paid."""
        try:
            self.client.v1.checkout.sessions.expire(reference)
        except stripe.InvalidRequestError as exc:
            # Already expired or completed: nothing left open. (A completed one is refunded by
            # the webhook when the order was released.)
            log.info("Stripe session %s not expired: %s", reference, exc.user_message or exc)

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
        if not payment.provider_payment_id:
            raise PaymentFailed("this payment has no Stripe payment intent to refund", field="payment")
        try:
            stripe_refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": payment.provider_payment_id,
                    "amount": amount,
                    "metadata": {
                        "order_id": str(payment.order_id),
                        "reason": reason[:500],
                        "actor": actor,
                    },
                },
                options={"idempotency_key": self._key(payment.order.token, idempotency_key)},
            )
        except stripe.StripeError as exc:
            raise PaymentFailed(f"Stripe refused the refund: {exc.user_message or exc}") from exc
        refund = Refund(
            order_id=payment.order_id,
            payment_id=payment.id,
            amount=amount,
            currency=payment.currency,
            reason=reason[:255],
            status=REFUND_STATES.get(stripe_refund.status or "", RefundState.PENDING),
            provider_reference=stripe_refund.id,
            actor=actor,
        )
        session.add(refund)
        session.flush()
        return refund

    def charge_refunds(self, charge: dict[str, Any]) -> list[dict[str, Any]]:
        """The refunds of a charge: from the event when it carries them, else from the API."""
        listed = (charge.get("refunds") or {}).get("data")
        if listed is not None:
            return list(listed)
        try:
            page = self.client.v1.refunds.list(params={"charge": charge["id"], "limit": 100})
        except stripe.StripeError as exc:
            raise PaymentFailed(f"Stripe did not list the refunds of {charge['id']}: {exc}") from exc
        return [refund.to_dict() for refund in page.data]

    def parse_event(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event, once its `Stripe-Signature` proves Stripe sent it (else InvalidSignature)."""
        secret = self.settings.stripe_webhook_secret
        if not secret:
            raise ProviderUnavailable(
                "Stripe webhooks need SHOP_STRIPE_WEBHOOK_SECRET", field="stripe_webhook_secret"
            )
        try:
            text = payload.decode("utf-8")
            stripe.WebhookSignature.verify_header(text, signature or "", secret, SIGNATURE_TOLERANCE_SECONDS)
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
            raise InvalidSignature(
                f"the Stripe-Signature header does not match: {exc}", field="Stripe-Signature"
            ) from None
        try:
            event = json.loads(text)
        except ValueError:
            event = None
        data = event.get("data") if isinstance(event, dict) else None
        if not (
            isinstance(data, dict)
            and isinstance(data.get("object"), dict)
            and event.get("id")
            and event.get("type")
        ):
            raise InvalidInput("not a Stripe event", field="body")
        return event
