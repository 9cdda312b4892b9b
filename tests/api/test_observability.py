from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from shop.api import create_app
from shop.config import Settings
from shop.config.logging import JsonFormatter, RequestIdFilter
from tests.live_server import live_server


def test_a_request_id_is_made_when_none_is_sent(client: TestClient) -> None:
    first = client.get("/api/v1/health").headers["x-request-id"]
    second = client.get("/api/v1/health").headers["x-request-id"]
    assert len(first) == 32 and first != second


def test_a_plain_request_id_is_echoed_and_a_hostile_one_replaced(client: TestClient) -> None:
    assert (
        client.get("/api/v1/health", headers={"X-Request-ID": "edge-42.a"}).headers["x-request-id"]
        == "edge-42.a"
    )
    forged = client.get("/api/v1/health", headers={"X-Request-ID": 'x" level=ERROR'})
    assert forged.headers["x-request-id"] != 'x" level=ERROR'
    assert len(forged.headers["x-request-id"]) == 32


def _count(route: str, status: str) -> float:
    value = REGISTRY.get_sample_value(
        "shop_http_requests_total", {"method": "GET", "route": route, "status": status}
    )
    return value or 0.0


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    before_health = _count("/api/v1/health", "200")
    before_unmatched = _count("unmatched", "404")
    client.get("/api/v1/health")
    client.get("/api/v1/health")
    client.get("/api/v1/no-such-thing/123")
    assert _count("/api/v1/health", "200") == before_health + 2
    assert _count("unmatched", "404") == before_unmatched + 1

    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    assert 'shop_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/health"}' in text
    for name in (
        "shop_orders_placed_total",
        "shop_payments_failed_total",
        "shop_stock_allocation_conflicts_total",
    ):
        assert name in text


def test_access_log_is_json_with_the_request_id(client: TestClient) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("shop.api.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        client.get("/api/v1/health", headers={"X-Request-ID": "trace-1"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    entry = json.loads(stream.getvalue().splitlines()[-1])
    assert entry["request_id"] == "trace-1"
    assert entry["route"] == "/api/v1/health"
    assert entry["status"] == 200
    assert entry["level"] == "INFO"
    assert entry["duration_ms"] >= 0


def test_metrics_add_up_across_worker_processes(tmp_path: Path) -> None:
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    # Only the health route is asked, so a fresh SQLite file serves either test database.
    with live_server(
        database_url=f"sqlite:///{tmp_path / 'shop.db'}",
        store_dir=tmp_path,
        workers=2,
        env={"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
        startup_timeout=60,
    ) as base:
        # New connections per request, so both workers answer some of them.
        for _ in range(40):
            httpx.get(f"{base}/api/v1/health", timeout=10)
        text = httpx.get(f"{base}/metrics", timeout=10).text
    assert len(list(metrics_dir.glob("counter_*.db"))) == 2
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("shop_http_requests_total{") and 'route="/api/v1/health"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) >= 41


def test_metrics_want_the_token_when_one_is_set(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"metrics_token": "scrape-me-0123456789"}))
    with TestClient(app) as client:
        refused = client.get("/metrics")
        wrong = client.get("/metrics", headers={"Authorization": "Bearer scrape-me-01234567890"})
        allowed = client.get("/metrics", headers={"Authorization": "Bearer scrape-me-0123456789"})
    assert (refused.status_code, wrong.status_code, allowed.status_code) == (401, 401, 200)
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["www-authenticate"] == "Bearer"
    assert "shop_orders_placed_total" in allowed.text
