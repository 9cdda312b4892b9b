"""Which provider takes a store's payments: a name -> factory table.

Register a provider by adding its factory to `FACTORIES` (or `register_provider` from a
plugin). A factory receives the settings and raises ProviderUnavailable when the settings
lack what it needs (e.g. Stripe keys), so a misconfigured store fails with a clear message.
"""

from __future__ import annotations

from collections.abc import Callable

from shop.config import Settings
from shop.core.payments.errors import ProviderUnavailable
from shop.core.payments.manual import ManualProvider
from shop.core.payments.providers import PaymentProvider

ProviderFactory = Callable[[Settings], PaymentProvider]


def _manual(settings: Settings) -> PaymentProvider:
    return ManualProvider(settings)


def _stripe(settings: Settings) -> PaymentProvider:
    # Imported on first use: the stripe library is large, and manual stores never need it.
    from shop.core.payments.stripe_provider import StripeProvider

    return StripeProvider(settings)


FACTORIES: dict[str, ProviderFactory] = {
    "manual": _manual,
    "stripe": _stripe,  # refuses to start without SHOP_STRIPE_SECRET_KEY
}


def register_provider(name: str, factory: ProviderFactory) -> None:
    FACTORIES[name] = factory


def get_provider(name: str, settings: Settings) -> PaymentProvider:
    factory = FACTORIES.get(name)
    if factory is None:
        known = ", ".join(sorted(FACTORIES))
        raise ProviderUnavailable(
            f"unknown payment provider {name!r} (known: {known})", field="payment_provider"
        )
    return factory(settings)
