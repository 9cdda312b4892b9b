from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.api import create_app
from shop.config import Settings
from shop.core.catalog.models import Product, ProductStatus
from shop.core.db import utcnow
from shop.core.reviews.models import Review, ReviewStatus
from tests.api.test_auth import bearer, sign_in
from tests.factories import make_customer, make_order, make_product

Db = Callable[[], AbstractContextManager[Session]]
GUEST = {"author_name": "Grace", "email": "grace@example.com"}


def add_review(
    session: Session, product: Product, rating: int, status: ReviewStatus, **fields: object
) -> Review:
    review = Review(
        product_id=product.id,
        author_name="Someone",
        email=f"r{rating}{status}@example.com",
        rating=rating,
        title=f"{rating} stars",
        body="Text",
        status=status,
        **fields,
    )
    session.add(review)
    session.flush()
    return review


def test_only_approved_reviews_are_listed_with_their_summary(client: TestClient, db: Db) -> None:
    with db() as s:
        product = make_product(s, slug="mug")
        for rating in (5, 5, 4, 2):
            s.add(
                Review(
                    product_id=product.id,
                    author_name="A",
                    email=f"a{rating}{id(s)}{len(s.new)}@x.com",
                    rating=rating,
                    body="ok",
                    status=ReviewStatus.APPROVED,
                )
            )
        add_review(s, product, 1, ReviewStatus.PENDING)
        add_review(s, product, 1, ReviewStatus.REJECTED)
    answer = client.get("/api/v1/products/mug/reviews?per_page=3")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "public, max-age=60"
    body = answer.json()
    assert body["summary"] == {
        "count": 4,
        "average": 4.0,
        "histogram": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 2},
    }
    assert body["total"] == 4 and len(body["items"]) == 3
    rest = client.get("/api/v1/products/mug/reviews?per_page=3&page=2").json()
    assert len(rest["items"]) == 1
    ratings = sorted(r["rating"] for r in body["items"] + rest["items"])
    assert ratings == [2, 4, 5, 5]
    assert "email" not in body["items"][0]


def test_a_product_without_reviews_has_an_empty_summary(client: TestClient, db: Db) -> None:
    with db() as s:
        make_product(s, slug="quiet")
    body = client.get("/api/v1/products/quiet/reviews").json()
    assert body["summary"]["count"] == 0 and body["summary"]["average"] is None
    assert body["items"] == []
    for query, field in (("per_page=51", "per_page"), ("page=0", "page"), ("page=x", "page")):
        bad = client.get(f"/api/v1/products/quiet/reviews?{query}")
        assert bad.status_code == 422 and bad.json()["field"] == field


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_draft_or_future_products_answer_404(client: TestClient, db: Db, method: str) -> None:
    with db() as s:
        make_product(s, slug="draft", status=ProductStatus.DRAFT)
        make_product(s, slug="soon", published_at=utcnow() + timedelta(days=1))
    for slug in ("nothing-here", "draft", "soon"):
        if method == "get":
            answer = client.get(f"/api/v1/products/{slug}/reviews")
        else:
            answer = client.post(
                f"/api/v1/products/{slug}/reviews", json={"rating": 5, "body": "Great", **GUEST}
            )
        assert answer.status_code == 404, slug
        assert answer.headers["content-type"] == "application/problem+json"


def test_a_guest_review_starts_pending_and_is_verified_only_after_a_paid_order(
    client: TestClient, db: Db
) -> None:
    with db() as s:
        product = make_product(s, slug="lamp")
        make_order(s, product=product, email="grace@example.com", paid=True)
        make_order(s, product=product, email="unpaid@example.com", paid=False)
        make_order(s, product=make_product(s), email="other@example.com", paid=True)
    verified = client.post(
        "/api/v1/products/lamp/reviews",
        json={"rating": 5, "title": "Bright", "body": "Lights the room.", **GUEST},
    )
    assert verified.status_code == 201, verified.text
    assert verified.json()["status"] == "pending" and verified.json()["verified_purchase"] is True
    unpaid = client.post(
        "/api/v1/products/lamp/reviews",
        json={"rating": 3, "body": "Fine.", "author_name": "U", "email": "Unpaid@Example.com"},
    )
    other = client.post(
        "/api/v1/products/lamp/reviews",
        json={"rating": 3, "body": "Fine.", "author_name": "O", "email": "other@example.com"},
    )
    assert unpaid.json()["verified_purchase"] is False
    assert other.json()["verified_purchase"] is False
    assert client.get("/api/v1/products/lamp/reviews").json()["total"] == 0
    with db() as s:
        stored = s.scalars(select(Review).order_by(Review.id)).all()
    assert [r.email for r in stored] == [
        "grace@example.com",
        "unpaid@example.com",
        "other@example.com",
    ]
    assert {r.status for r in stored} == {ReviewStatus.PENDING}


def test_a_signed_in_review_uses_the_account(client: TestClient, db: Db) -> None:
    with db() as s:
        product = make_product(s, slug="chair")
        customer = make_customer(s, email="ann@example.com", first_name="Ann", last_name="Bell")
        make_order(s, product=product, email="ann@example.com", customer=customer)
    token = sign_in(client, "ann@example.com")["access_token"]
    answer = client.post(
        "/api/v1/products/chair/reviews",
        headers=bearer(token),
        json={"rating": 4, "body": "Comfortable."},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["author_name"] == "Ann Bell" and answer.json()["verified_purchase"] is True
    with db() as s:
        review = s.scalars(select(Review)).one()
    assert review.customer_id == customer.id and review.email == "ann@example.com"
    again = client.post(
        "/api/v1/products/chair/reviews",
        headers=bearer(token),
        json={"rating": 1, "body": "Changed my mind."},
    )
    assert again.status_code == 409 and again.json()["field"] == "email"
    stale = client.post(
        "/api/v1/products/chair/reviews", headers=bearer("garbage"), json={"rating": 4, "body": "x"}
    )
    assert stale.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": 6, "body": "x", **GUEST}, "rating"),
        ({"rating": 0, "body": "x", **GUEST}, "rating"),
        ({"rating": 5, **GUEST}, "body"),
        ({"rating": 5, "body": "x" * 5001, **GUEST}, "body"),
        ({"rating": 5, "body": "x", "title": "t" * 201, **GUEST}, "title"),
        ({"rating": 5, "body": "bell \x07", **GUEST}, "body"),
        ({"rating": 5, "body": "x", "email": "g@example.com"}, "author_name"),
        ({"rating": 5, "body": "x", "author_name": "G"}, "email"),
        ({"rating": 5, "body": "x", "author_name": "G", "email": "not mail"}, "email"),
        ({"rating": 5, "body": "x", "verified_purchase": True, **GUEST}, "verified_purchase"),
    ],
)
def test_bad_reviews_are_refused_naming_the_field(client: TestClient, db: Db, body: dict, field: str) -> None:
    with db() as s:
        make_product(s, slug="pen")
    answer = client.post("/api/v1/products/pen/reviews", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field


def test_reviews_are_rate_limited_per_client(settings: Settings, db: Db) -> None:
    with db() as s:
        make_product(s, slug="book")
    limited = settings.model_copy(update={"rate_limits": {"reviews": "2/minute"}})
    with TestClient(create_app(limited)) as client:
        codes = [
            client.post(
                "/api/v1/products/book/reviews",
                json={"rating": 5, "body": "x", "author_name": "N", "email": f"n{i}@example.com"},
            ).status_code
            for i in range(3)
        ]
        listing = client.get("/api/v1/products/book/reviews")
    assert codes == [201, 201, 429]
    assert listing.status_code == 200  # reading is not limited


def test_review_routes_are_measured_by_template(client: TestClient, db: Db) -> None:
    with db() as s:
        make_product(s, slug="metric-mug")
    labels = {"method": "GET", "route": "/api/v1/products/{slug}/reviews", "status": "200"}
    before = REGISTRY.get_sample_value("shop_http_requests_total", labels) or 0
    client.get("/api/v1/products/metric-mug/reviews")
    assert REGISTRY.get_sample_value("shop_http_requests_total", labels) == before + 1
