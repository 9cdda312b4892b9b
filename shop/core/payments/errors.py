"""What can go wrong choosing or talking to a payment provider."""

from __future__ import annotations

from shop.core.errors import DomainError


class ProviderUnavailable(DomainError):
    """The store names a provider that does not exist or lacks its settings (keys)."""

    code = "payment-provider-unavailable"
    status = 503


class PaymentFailed(DomainError):
    """The provider refused or could not be reached; nothing was charged or refunded."""

    code = "payment-failed"
    status = 502


class PaymentProviderUnreachable(PaymentFailed):
    """The provider could not be reached or failed on its side: the outcome is unknown, and a
    retry with the same idempotency key finds out (the provider replays what it did)."""

    code = "payment-provider-unreachable"
