"""Customer sign-up and sign-in: OAuth2 password flow with short-lived JWT access tokens.

A cart made while signed out is handed to the account by the token (and register) endpoint:
send its token as the form field `cart_token`; the answer carries the cart the account now
uses (that one, or the account's newest open cart), so the storefront can switch to it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from shop.api.deps import SessionDep, SettingsDep
from shop.api.ratelimit import rate_limit
from shop.config import Settings
from shop.core.customers import services
from shop.core.customers.models import Customer
from shop.core.db import read_unit, utcnow

ALGORITHM = "HS256"
TOKEN_URL = "/api/v1/auth/token"

router = APIRouter(prefix="/auth", tags=["accounts"], dependencies=[Depends(rate_limit("auth"))])
bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)


# -- tokens -----------------------------------------------------------------------------


def issue_access_token(settings: Settings, customer: Customer, *, now: datetime) -> tuple[str, int]:
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims = {
        "sub": str(customer.id),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "typ": "access",
        "pwv": services.password_fingerprint(customer),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM), int(lifetime.total_seconds())


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def _claims(settings: Settings, token: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, settings.secret_key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError:
        raise _unauthorized("the access token has expired; sign in again") from None
    except jwt.InvalidTokenError:
        raise _unauthorized("the access token is not valid") from None
    if claims.get("typ") != "access" or not str(claims["sub"]).isdigit():
        raise _unauthorized("the access token is not valid")
    return claims


async def optional_customer(
    request: Request, settings: SettingsDep, token: Annotated[str | None, Depends(bearer)]
) -> Customer | None:
    """The signed-in customer, None without a token; a bad token is refused, never ignored.

    async, with its own short read in the threadpool only when there is a token: a guest
    (most checkouts) costs no session and no thread hop here.
    """
    if token is None:
        return None
    claims = _claims(settings, token)
    return await run_in_threadpool(_signed_in_customer, request, claims)


def _signed_in_customer(request: Request, claims: dict[str, Any]) -> Customer:
    with read_unit(request.app.state.read_sessions) as session:
        customer = services.active_customer(session, int(claims["sub"]))
        if customer is None or claims.get("pwv") != services.password_fingerprint(customer):
            raise _unauthorized("the access token is no longer valid; sign in again")
        return customer


def current_customer(customer: Annotated[Customer | None, Depends(optional_customer)]) -> Customer:
    if customer is None:
        raise _unauthorized("sign in first: send `Authorization: Bearer <access token>`")
    return customer


CurrentCustomer = Annotated[Customer, Depends(current_customer)]
OptionalCustomer = Annotated[Customer | None, Depends(optional_customer)]


# -- schemas ----------------------------------------------------------------------------


class CustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    first_name: str
    last_name: str
    phone: str
    accepts_marketing: bool
    created_at: datetime


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until the access token expires")
    cart_token: str | None = Field(None, description="the cart the account uses now, if any")


class RegisteredOut(TokenOut):
    customer: CustomerOut


class RegisterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    accepts_marketing: bool = False
    cart_token: str | None = Field(None, max_length=64)


class ResetRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)


class ResetConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=128)
    password: str = Field(max_length=1024)


class Accepted(BaseModel):
    detail: str


# -- routes -----------------------------------------------------------------------------


def signed_in(
    settings: Settings, session: Session, customer: Customer, cart_token: str | None
) -> dict[str, Any]:
    now = utcnow()
    cart = services.attach_cart(session, customer, cart_token=cart_token, now=now)
    token, lifetime = issue_access_token(settings, customer, now=now)
    return {
        "access_token": token,
        "expires_in": lifetime,
        "cart_token": cart.token if cart else None,
    }


@router.post("/register", status_code=status.HTTP_201_CREATED)
def register(body: RegisterIn, session: SessionDep, settings: SettingsDep) -> RegisteredOut:
    """Create an account and sign in to it."""
    customer = services.register_customer(
        session,
        email=body.email,
        password=body.password,
        first_name=body.first_name,
        last_name=body.last_name,
        accepts_marketing=body.accepts_marketing,
        now=utcnow(),
    )
    return RegisteredOut(
        customer=CustomerOut.model_validate(customer),
        **signed_in(settings, session, customer, body.cart_token),
    )


@router.post("/token")
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    cart_token: Annotated[str | None, Form(max_length=64)] = None,
) -> TokenOut:
    """OAuth2 password flow: `username` is the e-mail address."""
    customer = services.authenticate(session, email=form.username, password=form.password, now=utcnow())
    return TokenOut(**signed_in(settings, session, customer, cart_token))


RESET_REQUESTED = "If an account exists for that address, a link to reset its password is on its way."


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED)
def password_reset(body: ResetRequestIn, session: SessionDep) -> Accepted:
    """Mail a single-use reset link; the answer is the same whether or not the account exists."""
    services.request_password_reset(session, email=body.email, now=utcnow())
    return Accepted(detail=RESET_REQUESTED)


@router.post("/password-reset/confirm")
def password_reset_confirm(body: ResetConfirmIn, session: SessionDep, settings: SettingsDep) -> TokenOut:
    """Set a new password with the mailed token; signs out every other session and signs in."""
    customer = services.reset_password(session, token=body.token, password=body.password, now=utcnow())
    return TokenOut(**signed_in(settings, session, customer, None))
