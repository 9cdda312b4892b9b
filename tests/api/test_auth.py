from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shop.api import create_app
from shop.api.auth import issue_access_token
from shop.config import Settings
from shop.core.carts.models import Cart
from shop.core.customers.models import Customer, PasswordResetToken
from shop.core.db import utcnow
from shop.core.notifications.models import OutboxEvent
from shop.core.notifications.services import EMAIL_PASSWORD_RESET
from shop.core.security import new_token, token_digest
from tests.factories import make_customer, make_order, make_product

Db = Callable[[], AbstractContextManager[Session]]
PASSWORD = "correct horse battery"


def sign_in(client: TestClient, email: str, password: str = PASSWORD, **form: str) -> dict:
    answer = client.post("/api/v1/auth/token", data={"username": email, "password": password, **form})
    assert answer.status_code == 200, answer.text
    return answer.json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_cart(session: Session, *, customer: Customer | None = None, **fields: object) -> Cart:
    cart = Cart(
        token=new_token(),
        currency="EUR",
        customer_id=customer.id if customer else None,
        expires_at=utcnow() + timedelta(days=30),
        **fields,
    )
    session.add(cart)
    session.flush()
    return cart


def test_register_signs_in_and_me_answers(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/auth/register",
        json={
            "email": " Ada@Example.COM ",
            "password": PASSWORD,
            "first_name": "Ada",
            "last_name": "Lovelace",
        },
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["customer"]["email"] == "ada@example.com"
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    me = client.get("/api/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["first_name"] == "Ada"
    # The same address again, in another case, is the same account.
    again = client.post("/api/v1/auth/register", json={"email": "ADA@example.com", "password": PASSWORD})
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert again.json()["field"] == "email"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-address", "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"email": "a@example.com"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "is_admin": True}, "is_admin"),
    ],
)
def test_register_refuses_bad_input_naming_the_field(client: TestClient, body: dict, field: str) -> None:
    answer = client.post("/api/v1/auth/register", json=body)
    assert answer.status_code == 422
    assert answer.json()["field"] == field


def test_a_guest_address_can_register_but_does_not_inherit_guest_orders(client: TestClient, db: Db) -> None:
    with db() as s:
        guest = make_customer(s, email="guest@example.com", password=None)
        make_order(s, product=make_product(s), email="guest@example.com", customer=None)
        make_order(s, product=make_product(s), email="guest@example.com", customer=guest)
    answer = client.post("/api/v1/auth/register", json={"email": "guest@example.com", "password": PASSWORD})
    assert answer.status_code == 201
    assert answer.json()["customer"]["id"] == guest.id
    orders = client.get("/api/v1/me/orders", headers=bearer(answer.json()["access_token"])).json()
    # Whoever registers an address sees none of the orders placed with it before.
    assert orders == {"items": [], "total": 0, "page": 1, "per_page": 20}


def test_token_with_wrong_password_unknown_email_or_disabled_account_is_401(
    client: TestClient, db: Db
) -> None:
    with db() as s:
        make_customer(s, email="ok@example.com")
        make_customer(s, email="off@example.com", is_active=False)
    answers = [
        client.post("/api/v1/auth/token", data={"username": "ok@example.com", "password": "wrong password"}),
        client.post("/api/v1/auth/token", data={"username": "nobody@example.com", "password": PASSWORD}),
        client.post("/api/v1/auth/token", data={"username": "off@example.com", "password": PASSWORD}),
    ]
    assert [a.status_code for a in answers] == [401, 401, 401]
    assert {a.json()["detail"] for a in answers} == {"wrong e-mail or password"}
    assert answers[0].json()["type"].endswith("/invalid-credentials")
    missing = client.post("/api/v1/auth/token", data={"username": "ok@example.com"})
    assert missing.status_code == 422 and missing.json()["field"] == "password"
    assert sign_in(client, "OK@example.com")["access_token"]


def test_me_needs_a_valid_unexpired_token(client: TestClient, settings: Settings, db: Db) -> None:
    with db() as s:
        customer = make_customer(s)
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").headers["www-authenticate"] == "Bearer"
    assert client.get("/api/v1/me", headers=bearer("not.a.jwt")).status_code == 401
    expired, _ = issue_access_token(settings, customer, now=utcnow() - timedelta(hours=2))
    answer = client.get("/api/v1/me", headers=bearer(expired))
    assert answer.status_code == 401 and "expired" in answer.json()["detail"]
    forged = jwt.encode(
        {"sub": str(customer.id), "exp": int(utcnow().timestamp()) + 600, "typ": "access"},
        "another-secret-key-that-is-long-enough-000",
        algorithm="HS256",
    )
    assert client.get("/api/v1/me", headers=bearer(forged)).status_code == 401
    fresh, _ = issue_access_token(settings, customer, now=utcnow())
    assert client.get("/api/v1/me", headers=bearer(fresh)).json()["id"] == customer.id


def test_signing_in_attaches_the_signed_out_cart(client: TestClient, db: Db) -> None:
    with db() as s:
        customer = make_customer(s, email="cart@example.com")
        other = make_customer(s)
        anonymous = make_cart(s)
        theirs = make_cart(s, customer=other)
    body = sign_in(client, "cart@example.com", cart_token=anonymous.token)
    assert body["cart_token"] == anonymous.token
    # Someone else's cart is never taken; the account's own newest cart is offered instead.
    assert sign_in(client, "cart@example.com", cart_token=theirs.token)["cart_token"] == anonymous.token
    assert sign_in(client, "cart@example.com")["cart_token"] == anonymous.token
    with db() as s:
        assert s.get(Cart, anonymous.id).customer_id == customer.id  # type: ignore[union-attr]
        assert s.get(Cart, theirs.id).customer_id == other.id  # type: ignore[union-attr]


def test_register_attaches_the_cart_too(client: TestClient, db: Db) -> None:
    with db() as s:
        cart = make_cart(s)
    answer = client.post(
        "/api/v1/auth/register",
        json={"email": "new@example.com", "password": PASSWORD, "cart_token": cart.token},
    )
    assert answer.json()["cart_token"] == cart.token


def _reset_events(db: Db) -> list[OutboxEvent]:
    with db() as s:
        return list(s.scalars(select(OutboxEvent).where(OutboxEvent.topic == EMAIL_PASSWORD_RESET)))


def test_password_reset_never_reveals_whether_the_account_exists(client: TestClient, db: Db) -> None:
    with db() as s:
        make_customer(s, email="real@example.com")
    real = client.post("/api/v1/auth/password-reset", json={"email": "real@example.com"})
    ghost = client.post("/api/v1/auth/password-reset", json={"email": "ghost@example.com"})
    assert real.status_code == ghost.status_code == 202
    assert real.json() == ghost.json()
    events = _reset_events(db)
    assert [e.payload["email"] for e in events] == ["real@example.com"]
    with db() as s:
        stored = s.scalars(select(PasswordResetToken)).one()
    # Only the token's digest is stored.
    assert stored.token_hash == token_digest(events[0].payload["token"])
    bad = client.post("/api/v1/auth/password-reset", json={"email": "nope"})
    assert bad.status_code == 422 and bad.json()["field"] == "email"


def test_password_reset_confirm_is_single_use_and_signs_out_old_tokens(client: TestClient, db: Db) -> None:
    with db() as s:
        make_customer(s, email="reset@example.com")
    old = sign_in(client, "reset@example.com")["access_token"]
    client.post("/api/v1/auth/password-reset", json={"email": "reset@example.com"})
    token = _reset_events(db)[0].payload["token"]

    weak = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "short"})
    assert weak.status_code == 422 and weak.json()["field"] == "password"
    done = client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": token, "password": "a new long password"},
    )
    assert done.status_code == 200, done.text
    assert client.get("/api/v1/me", headers=bearer(done.json()["access_token"])).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(old)).status_code == 401
    again = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "another password"}
    )
    assert again.status_code == 422 and again.json()["field"] == "token"
    assert (
        client.post(
            "/api/v1/auth/token", data={"username": "reset@example.com", "password": PASSWORD}
        ).status_code
        == 401
    )
    sign_in(client, "reset@example.com", "a new long password")


def test_a_newer_reset_link_retires_older_ones_and_links_expire(client: TestClient, db: Db) -> None:
    with db() as s:
        customer = make_customer(s, email="twice@example.com")
    client.post("/api/v1/auth/password-reset", json={"email": "twice@example.com"})
    # Asking again at once sends nothing more (same answer), so the form cannot flood an inbox.
    again = client.post("/api/v1/auth/password-reset", json={"email": "twice@example.com"})
    assert again.status_code == 202 and len(_reset_events(db)) == 1
    with db() as s:
        s.execute(update(PasswordResetToken).values(created_at=utcnow() - timedelta(minutes=2)))
    client.post("/api/v1/auth/password-reset", json={"email": "twice@example.com"})
    first, second = (e.payload["token"] for e in _reset_events(db))
    stale = client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": first, "password": "a new long password"},
    )
    assert stale.status_code == 422
    with db() as s:
        expired = new_token()
        s.add(
            PasswordResetToken(
                customer_id=customer.id,
                token_hash=token_digest(expired),
                expires_at=utcnow() - timedelta(seconds=1),
            )
        )
    late = client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": expired, "password": "a new long password"},
    )
    assert late.status_code == 422 and late.json()["type"].endswith("/invalid-reset-token")
    ok = client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": second, "password": "a new long password"},
    )
    assert ok.status_code == 200


def test_auth_endpoints_are_rate_limited(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_limits": {"auth": "2/minute"}})
    with TestClient(create_app(limited)) as client:
        codes = [
            client.post("/api/v1/auth/password-reset", json={"email": "x@example.com"}).status_code
            for _ in range(3)
        ]
        token = client.post("/api/v1/auth/token", data={"username": "x@example.com", "password": PASSWORD})
    assert codes == [202, 202, 429]
    assert token.status_code == 429 and int(token.headers["retry-after"]) >= 1


def test_my_orders_lists_only_my_orders_newest_first_in_pages(client: TestClient, db: Db) -> None:
    with db() as s:
        me = make_customer(s, email="me@example.com")
        other = make_customer(s)
        product = make_product(s)
        mine = [make_order(s, product=product, customer=me, email=me.email, quantity=n) for n in (1, 2, 3)]
        make_order(s, product=product, customer=other, email=other.email)
    token = sign_in(client, "me@example.com")["access_token"]
    first = client.get("/api/v1/me/orders?per_page=2", headers=bearer(token)).json()
    second = client.get("/api/v1/me/orders?per_page=2&page=2", headers=bearer(token)).json()
    assert first["total"] == 3
    numbers = [o["number"] for o in first["items"] + second["items"]]
    assert numbers == [o.number for o in reversed(mine)]
    assert first["items"][0]["item_count"] == 3
    assert first["items"][0]["token"] == mine[2].token
    assert first["items"][0]["total"] == mine[2].total and first["items"][0]["currency"] == "EUR"
    bad = client.get("/api/v1/me/orders?per_page=0", headers=bearer(token))
    assert bad.status_code == 422 and bad.json()["field"] == "per_page"
    assert client.get("/api/v1/me/orders").status_code == 401


def test_changing_the_password_needs_the_current_one_and_signs_out_elsewhere(
    client: TestClient, db: Db
) -> None:
    with db() as s:
        make_customer(s, email="change@example.com")
    old = sign_in(client, "change@example.com")["access_token"]
    wrong = client.post(
        "/api/v1/me/password",
        headers=bearer(old),
        json={"current_password": "not it at all", "new_password": "another long one"},
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "current_password"
    weak = client.post(
        "/api/v1/me/password",
        headers=bearer(old),
        json={"current_password": PASSWORD, "new_password": "short"},
    )
    assert weak.status_code == 422 and weak.json()["field"] == "password"
    anonymous = client.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "another long one"}
    )
    assert anonymous.status_code == 401
    done = client.post(
        "/api/v1/me/password",
        headers=bearer(old),
        json={"current_password": PASSWORD, "new_password": "another long one"},
    )
    assert done.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(old)).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(done.json()["access_token"])).status_code == 200
    sign_in(client, "change@example.com", "another long one")
