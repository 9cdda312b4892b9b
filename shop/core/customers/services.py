"""Customer accounts: registering, signing in, resetting a password, their carts and orders.

A customer's order history is the orders linked to the account and placed since it was
registered, never orders that merely share the e-mail address, nor guest orders linked to the
row before: anyone may register any address, and an unverified registration must not reveal
a stranger's guest orders.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from shop.core.carts.models import Cart
from shop.core.customers.errors import InvalidCredentials, InvalidResetToken
from shop.core.customers.models import Customer, PasswordResetToken
from shop.core.errors import Conflict, InvalidInput
from shop.core.notifications.services import EMAIL_PASSWORD_RESET, enqueue
from shop.core.orders.models import Order
from shop.core.security import (
    WeakPasswordError,
    hash_password,
    needs_rehash,
    new_token,
    token_digest,
    verify_password,
)
from shop.core.staff.services import normalise_email

RESET_TOKEN_TTL = timedelta(hours=1)
RESET_MAIL_INTERVAL = timedelta(minutes=1)


def _hash(password: str) -> str:
    try:
        return hash_password(password)
    except WeakPasswordError as exc:
        raise InvalidInput(str(exc), field="password") from None


def password_fingerprint(customer: Customer) -> str:
    """Changes with the password; access tokens carry it, so a new password signs out everywhere."""
    return hashlib.sha256((customer.password_hash or "").encode()).hexdigest()[:16]


def register_customer(
    session: Session,
    *,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    accepts_marketing: bool = False,
    now: datetime,
) -> Customer:
    address = normalise_email(email)
    password_hash = _hash(password)
    customer = session.scalar(select(Customer).where(Customer.email == address))
    if customer is not None and customer.password_hash is not None:
        raise Conflict(
            f"an account for {address} already exists; sign in or reset the password", field="email"
        )
    if customer is None:
        customer = Customer(email=address, created_at=now)
        session.add(customer)
    else:
        # Known until now only from guest orders: the account takes over the row, not its
        # orders; the history starts now (see customer_orders).
        customer.created_at = now
    customer.password_hash = password_hash
    customer.first_name = first_name.strip()
    customer.last_name = last_name.strip()
    customer.accepts_marketing = accepts_marketing
    customer.is_active = True
    session.flush()
    return customer


def authenticate(session: Session, *, email: str, password: str, now: datetime) -> Customer:
    address = email.strip().lower()
    customer = session.scalar(select(Customer).where(Customer.email == address))
    password_hash = customer.password_hash if customer else None
    # verify_password spends the same time when there is no account, so timing reveals nothing.
    valid = verify_password(password_hash, password)
    if customer is None or password_hash is None or not valid or not customer.is_active:
        raise InvalidCredentials("wrong e-mail or password")
    if needs_rehash(password_hash):
        customer.password_hash = hash_password(password)
    customer.last_login_at = now
    session.flush()
    return customer


def active_customer(session: Session, customer_id: int) -> Customer | None:
    customer = session.get(Customer, customer_id)
    if customer is None or not customer.is_active or customer.password_hash is None:
        return None
    return customer


def request_password_reset(
    session: Session, *, email: str, now: datetime, ttl: timedelta = RESET_TOKEN_TTL
) -> None:
    """Mail a reset link if the address has an account; the caller answers the same either way."""
    address = normalise_email(email)
    customer = session.scalar(select(Customer).where(Customer.email == address))
    if customer is None or customer.password_hash is None or not customer.is_active:
        return
    latest = session.scalar(
        select(func.max(PasswordResetToken.created_at)).where(PasswordResetToken.customer_id == customer.id)
    )
    if latest is not None and now - latest < RESET_MAIL_INTERVAL:
        return  # a link just went out: no mail bombing a stranger's inbox through this form
    _retire_reset_tokens(session, customer, now=now)
    token = new_token()
    expires_at = now + ttl
    session.add(
        PasswordResetToken(
            customer_id=customer.id,
            token_hash=token_digest(token),
            expires_at=expires_at,
            created_at=now,
        )
    )
    # The raw token exists only in this outbox row until the mail is sent; the worker then
    # blanks it (see shop.core.notifications.worker).
    enqueue(
        session,
        EMAIL_PASSWORD_RESET,
        {
            "customer_id": customer.id,
            "email": customer.email,
            "first_name": customer.first_name,
            "token": token,
            "expires_at": expires_at.isoformat(),
        },
    )
    session.flush()


def reset_password(session: Session, *, token: str, password: str, now: datetime) -> Customer:
    row = session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_digest(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise InvalidResetToken(
            "this reset link is invalid, used or expired; ask for a new one", field="token"
        )
    customer = session.get(Customer, row.customer_id)
    if customer is None or not customer.is_active:
        raise InvalidResetToken(
            "this reset link is invalid, used or expired; ask for a new one", field="token"
        )
    customer.password_hash = _hash(password)
    _retire_reset_tokens(session, customer, now=now)
    session.flush()
    return customer


def change_password(
    session: Session, customer_id: int, *, current_password: str, new_password: str
) -> Customer:
    """A signed-in customer picks a new password; tokens issued before stop working."""
    customer = session.get(Customer, customer_id)
    if customer is None or not verify_password(customer.password_hash, current_password):
        raise InvalidInput("the current password is wrong", field="current_password")
    customer.password_hash = _hash(new_password)
    session.flush()
    return customer


def _retire_reset_tokens(session: Session, customer: Customer, *, now: datetime) -> None:
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.customer_id == customer.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )


def attach_cart(
    session: Session, customer: Customer, *, cart_token: str | None, now: datetime
) -> Cart | None:
    """Give a signed-out shopper's cart to the account they sign in to.

    Without a usable token, the customer's newest open cart is returned instead, so signing in
    on another device finds the same cart. A cart that belongs to someone else is left alone.
    """
    if cart_token:
        cart = session.scalar(select(Cart).where(Cart.token == cart_token))
        if (
            cart is not None
            and cart.completed_at is None
            and cart.expires_at > now
            and cart.customer_id in (None, customer.id)
        ):
            cart.customer_id = customer.id
            cart.email = cart.email or customer.email
            session.flush()
            return cart
    return session.scalar(
        select(Cart)
        .where(Cart.customer_id == customer.id, Cart.completed_at.is_(None), Cart.expires_at > now)
        .order_by(Cart.updated_at.desc(), Cart.id.desc())
        .limit(1)
    )


@dataclass(frozen=True, slots=True)
class OrderPage:
    orders: list[Order]
    total: int


def customer_orders(session: Session, customer: Customer, *, page: int, per_page: int) -> OrderPage:
    where = (Order.customer_id == customer.id) & (Order.placed_at >= customer.created_at)
    total = session.scalar(select(func.count()).select_from(Order).where(where)) or 0
    orders = session.scalars(
        select(Order)
        .where(where)
        .options(selectinload(Order.lines))
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return OrderPage(orders=list(orders), total=total)
