"""Discount codes and who used them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from shop.core.db import Base, Timestamps, utcnow
from shop.core.types import Email, enum_column


class DiscountKind(enum.StrEnum):
    PERCENT = "percent"  # value in basis points: 1500 is 15 %
    FIXED = "fixed"  # value in minor units
    FREE_SHIPPING = "free_shipping"


class DiscountCode(Timestamps, Base):
    __tablename__ = "discount_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored upper-cased; shoppers type codes in any case.
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[DiscountKind] = mapped_column(enum_column(DiscountKind, "discount_kind"))
    value: Mapped[int] = mapped_column(default=0)
    minimum_subtotal: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    usage_limit: Mapped[int | None]
    per_customer_limit: Mapped[int | None]
    # Counted on paid orders only.
    times_used: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        CheckConstraint("value >= 0 AND minimum_subtotal >= 0 AND times_used >= 0", name="non_negative"),
        CheckConstraint("kind <> 'percent' OR value <= 10000", name="percent_at_most_100"),
        CheckConstraint("usage_limit IS NULL OR usage_limit > 0", name="usage_limit_positive"),
        CheckConstraint("per_customer_limit IS NULL OR per_customer_limit > 0", name="per_customer_positive"),
        CheckConstraint("ends_at IS NULL OR starts_at IS NULL OR ends_at > starts_at", name="dates_ordered"),
    )

    def __str__(self) -> str:
        return self.code


class DiscountRedemption(Base):
    """One paid order's use of a code; what the per-customer limit counts."""

    __tablename__ = "discount_redemptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    discount_code_id: Mapped[int] = mapped_column(ForeignKey("discount_codes.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    email: Mapped[str] = mapped_column(Email)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_discount_redemptions_code_email", "discount_code_id", "email"),)
