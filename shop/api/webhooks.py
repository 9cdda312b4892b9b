"""POST /webhooks/stripe: events from Stripe, verified by signature, each handled at most once."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from shop.api.metrics import PAYMENTS_FAILED, WEBHOOK_EVENTS
from shop.core.db import unit_of_work
from shop.core.payments import stripe_events
from shop.core.payments.stripe_provider import NAME, StripeProvider

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class WebhookAnswer(BaseModel):
    received: bool = True
    outcome: str


@router.post(
    "/stripe",
    responses={400: {"description": "bad signature: nothing was changed"}},
)
async def stripe_webhook(request: Request) -> WebhookAnswer:
    """Configure in Stripe's dashboard with the events in `stripe_events.EVENT_TYPES`."""
    provider = StripeProvider(request.app.state.settings)
    event = provider.parse_event(await request.body(), request.headers.get("stripe-signature"))
    outcome = await run_in_threadpool(_handle, request.app.state.sessions, event, provider)
    WEBHOOK_EVENTS.labels(NAME, outcome).inc()
    if outcome == stripe_events.PAYMENT_FAILED:
        PAYMENTS_FAILED.inc()
    return WebhookAnswer(outcome=outcome)


def _handle(sessions: sessionmaker[Session], event: dict[str, Any], provider: StripeProvider) -> str:
    try:
        with unit_of_work(sessions) as session:
            return stripe_events.handle_stripe_event(session, event, provider=provider)
    except stripe_events.AlreadyHandled:
        log.info("Stripe event %s (%s) already handled", event["id"], event["type"])
        return stripe_events.DUPLICATE
    except stripe_events.UnknownOrder as exc:
        # Answered 200 all the same: retrying would never find the order.
        log.warning("Stripe event %s (%s) ignored: %s", event["id"], event["type"], exc)
        return "unknown_order"
