"""Orders, the lines they snapshot, and their fulfilments.

An order copies everything it needs at checkout (titles, SKUs, prices, addresses),
so later catalog edits never change what a shopper bought.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.core.db import Base, Timestamps, utcnow
from shop.core.search import trigram_indexes
from shop.core.types import CurrencyCode, Email, Token, enum_column


class OrderStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"  # placed, stock allocated, not yet paid
    OPEN = "open"  # paid, being handled
    COMPLETED = "completed"  # paid and fulfilled
    CANCELLED = "cancelled"  # by the merchant, or unpaid in time (stock released)


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    VOIDED = "voided"


class FulfillmentStatus(enum.StrEnum):
    UNFULFILLED = "unfulfilled"
    PARTIAL = "partial"
    FULFILLED = "fulfilled"


class Order(Timestamps, Base):
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The number a shopper quotes on the phone: 1001, 1002, ... (see site.counters).
    number: Mapped[int] = mapped_column(unique=True)
    # Secret for guest look-ups; never derived from the number.
    token: Mapped[str] = mapped_column(Token, unique=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(Email, index=True)
    status: Mapped[OrderStatus] = mapped_column(
        enum_column(OrderStatus, "order_status"), default=OrderStatus.PENDING_PAYMENT
    )
    payment_status: Mapped[PaymentStatus] = mapped_column(
        enum_column(PaymentStatus, "payment_status"), default=PaymentStatus.PENDING
    )
    fulfillment_status: Mapped[FulfillmentStatus] = mapped_column(
        enum_column(FulfillmentStatus, "fulfillment_status"), default=FulfillmentStatus.UNFULFILLED
    )
    currency: Mapped[str] = mapped_column(CurrencyCode)
    subtotal: Mapped[int]
    discount_total: Mapped[int] = mapped_column(default=0)
    shipping_total: Mapped[int] = mapped_column(default=0)
    tax_total: Mapped[int] = mapped_column(default=0)
    total: Mapped[int]
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    discount_code: Mapped[str | None] = mapped_column(String(64))
    shipping_method_code: Mapped[str | None] = mapped_column(String(64))
    shipping_method_name: Mapped[str] = mapped_column(String(255), default="")
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    customer_note: Mapped[str] = mapped_column(Text, default="")
    payment_provider: Mapped[str] = mapped_column(String(32), default="manual")
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An unpaid order gives its stock back after this moment.
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    paid_at: Mapped[datetime | None] = mapped_column(index=True)  # the dashboard's sales figures
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(String(255), default="")

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    fulfillments: Mapped[list[Fulfillment]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Fulfillment.id"
    )

    __table_args__ = (
        Index("ix_orders_status_created_at", "status", "created_at"),
        Index("ix_orders_created_at", "created_at"),
        *trigram_indexes("orders", "email"),
        CheckConstraint(
            "subtotal >= 0 AND discount_total >= 0 AND shipping_total >= 0 AND tax_total >= 0 AND total >= 0",
            name="amounts_non_negative",
        ),
    )

    def __str__(self) -> str:
        return f"#{self.number}"


class OrderLine(Base):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id", ondelete="SET NULL"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(255))
    variant_title: Mapped[str] = mapped_column(String(255), default="")
    sku: Mapped[str] = mapped_column(String(100), index=True)
    unit_price: Mapped[int]
    quantity: Mapped[int]
    discount_total: Mapped[int] = mapped_column(default=0)
    tax_total: Mapped[int] = mapped_column(default=0)
    line_total: Mapped[int] = mapped_column(comment="unit_price * quantity - discount_total")
    requires_shipping: Mapped[bool] = mapped_column(Boolean, default=True)
    taxable: Mapped[bool] = mapped_column(Boolean, default=True)
    quantity_fulfilled: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="lines")

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0 AND line_total >= 0", name="amounts_non_negative"),
        CheckConstraint("quantity_fulfilled BETWEEN 0 AND quantity", name="fulfilled_in_range"),
    )

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class Fulfillment(Base):
    __tablename__ = "fulfillments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    carrier: Mapped[str] = mapped_column(String(100), default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="")
    tracking_url: Mapped[str] = mapped_column(String(2048), default="")
    actor: Mapped[str] = mapped_column(String(320), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="fulfillments")
    lines: Mapped[list[FulfillmentLine]] = relationship(
        back_populates="fulfillment", cascade="all, delete-orphan"
    )


class FulfillmentLine(Base):
    __tablename__ = "fulfillment_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    fulfillment_id: Mapped[int] = mapped_column(ForeignKey("fulfillments.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int]

    fulfillment: Mapped[Fulfillment] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()

    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)
