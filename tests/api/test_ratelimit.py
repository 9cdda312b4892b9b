from __future__ import annotations

from fastapi import Depends
from fastapi.testclient import TestClient

from shop.api import create_app
from shop.api.ratelimit import rate_limit
from shop.config import Settings


def test_over_the_limit_answers_429_with_retry_after(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"rate_limits": {"demo": "2/minute"}}))

    @app.get("/limited", dependencies=[Depends(rate_limit("demo"))])
    def limited() -> dict[str, bool]:
        return {"ok": True}

    with TestClient(app) as client:
        assert [client.get("/limited").status_code for _ in range(2)] == [200, 200]
        answer = client.get("/limited")
    assert answer.status_code == 429
    assert answer.headers["content-type"] == "application/problem+json"
    assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert answer.json()["type"].endswith("/rate-limited")


def test_health_reports_the_database(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        answer = client.get("/api/v1/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok"}
