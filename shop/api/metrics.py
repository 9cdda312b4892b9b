"""Prometheus metrics: one module defines every series, so any edge can count into them.

Under several uvicorn workers, set PROMETHEUS_MULTIPROC_DIR to an empty folder shared by the
processes (before they start); each then writes its samples there and `/metrics` adds them up.
"""

from __future__ import annotations

import hmac
import os

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter(
    "shop_http_requests_total",
    "HTTP requests answered, by route template",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "shop_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ORDERS_PLACED = Counter("shop_orders_placed_total", "Orders created by checkout")
PAYMENTS_FAILED = Counter("shop_payments_failed_total", "Payment attempts a provider reported failed")
STOCK_CONFLICTS = Counter(
    "shop_stock_allocation_conflicts_total", "Checkouts refused because stock ran short"
)
CHECKOUT_GATE_WAIT = Histogram(
    "shop_checkout_gate_wait_seconds",
    "Time a checkout transaction waited for a place at its process's checkout gate",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
WEBHOOK_EVENTS = Counter(
    "shop_webhook_events_total",
    "Provider webhook events received, by outcome",
    ["provider", "outcome"],
)

UNMATCHED_ROUTE = "unmatched"

router = APIRouter(tags=["metrics"], include_in_schema=False)


def _registry() -> CollectorRegistry:
    # prometheus-client itself reads this variable when it is imported; we follow its lead.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


@router.get("/metrics")
def metrics(request: Request) -> Response:
    token = request.app.state.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise HTTPException(
                401, "send the metrics token as `Authorization: Bearer ...`", {"WWW-Authenticate": "Bearer"}
            )
    return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)
