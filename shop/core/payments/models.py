"""Money received and given back, per provider (stripe, manual)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.core.db import Base, Timestamps, utcnow
from shop.core.orders.models import Order
from shop.core.types import CurrencyCode, enum_column


class PaymentState(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class RefundState(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Payment(Timestamps, Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32))
    # e.g. a Stripe Checkout Session id; then the PaymentIntent id once known.
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    provider_payment_id: Mapped[str | None] = mapped_column(String(255), index=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(CurrencyCode)
    status: Mapped[PaymentState] = mapped_column(
        enum_column(PaymentState, "payment_state"), default=PaymentState.PENDING
    )
    redirect_url: Mapped[str | None] = mapped_column(String(2048))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    order: Mapped[Order] = relationship()
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")

    __table_args__ = (
        UniqueConstraint("provider", "provider_reference"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
    )


class Refund(Base):
    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(CurrencyCode)
    reason: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[RefundState] = mapped_column(
        enum_column(RefundState, "refund_state"), default=RefundState.PENDING
    )
    provider_reference: Mapped[str | None] = mapped_column(String(255), unique=True)
    actor: Mapped[str] = mapped_column(String(320), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="refunds")

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)
