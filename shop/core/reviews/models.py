"""Product reviews, moderated before they appear."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.core.catalog.models import Product
from shop.core.db import Base, Timestamps
from shop.core.types import Email, enum_column


class ReviewStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Review(Timestamps, Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    author_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(Email)
    rating: Mapped[int]
    title: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ReviewStatus] = mapped_column(
        enum_column(ReviewStatus, "review_status"), default=ReviewStatus.PENDING
    )
    verified_purchase: Mapped[bool] = mapped_column(Boolean, default=False)
    moderated_at: Mapped[datetime | None]
    moderated_by: Mapped[str | None] = mapped_column(String(320))

    product: Mapped[Product] = relationship()

    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_1_to_5"),
        Index("ix_reviews_product_id_status_created_at", "product_id", "status", "created_at"),
        Index("ix_reviews_status_created_at", "status", "created_at"),
    )

    def __str__(self) -> str:
        return f"{self.rating}/5 {self.title}"
