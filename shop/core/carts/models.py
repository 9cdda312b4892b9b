"""Carts live server-side behind an opaque token; the browser keeps only the token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.core.catalog.models import Variant
from shop.core.db import Base, Timestamps
from shop.core.types import CountryCode, CurrencyCode, Email, Token


class Cart(Timestamps, Base):
    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # secrets.token_urlsafe(32): 256 bits, never derived from the id.
    token: Mapped[str] = mapped_column(Token, unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    currency: Mapped[str] = mapped_column(CurrencyCode)
    email: Mapped[str | None] = mapped_column(Email)
    discount_code: Mapped[str | None] = mapped_column(String(64))
    shipping_method_code: Mapped[str | None] = mapped_column(String(64))
    shipping_country: Mapped[str | None] = mapped_column(CountryCode)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    completed_at: Mapped[datetime | None]

    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartLine.id"
    )


class CartLine(Base):
    __tablename__ = "cart_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int]

    cart: Mapped[Cart] = relationship(back_populates="lines")
    variant: Mapped[Variant] = relationship()

    __table_args__ = (
        UniqueConstraint("cart_id", "variant_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )
