"""Where stock lives, how much, and the ledger of every change."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.core.catalog.models import Variant
from shop.core.db import Base, utcnow
from shop.core.types import enum_column


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Checkout allocates from locations in this order.
    priority: Mapped[int] = mapped_column(default=0)
    address: Mapped[str] = mapped_column(Text, default="")

    def __str__(self) -> str:
        return self.name


class StockLevel(Base):
    """How many units of a variant a location holds, and how many are promised to orders.

    `available = on_hand - allocated`. Where the variant's policy is deny,
    `allow_negative` is false and the database itself refuses a row that would
    promise or hold less than nothing; services decide stock with a guarded
    `UPDATE ... WHERE on_hand - allocated >= n`, never read-then-write.
    """

    __tablename__ = "stock_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="RESTRICT"), index=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    allocated: Mapped[int] = mapped_column(default=0)
    # A copy of `variant.inventory_policy == continue`, kept in step by
    # shop.core.inventory.policy so that the CHECK below can see it.
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    low_stock_threshold: Mapped[int] = mapped_column(default=3)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    variant: Mapped[Variant] = relationship()
    location: Mapped[Location] = relationship()

    __table_args__ = (
        UniqueConstraint("variant_id", "location_id"),
        CheckConstraint("allocated >= 0", name="allocated_non_negative"),
        CheckConstraint(
            "allow_negative OR (on_hand >= 0 AND allocated <= on_hand)", name="deny_never_negative"
        ),
    )

    @property
    def available(self) -> int:
        return self.on_hand - self.allocated


class MovementReason(enum.StrEnum):
    RECEIVED = "received"
    ADJUSTMENT = "adjustment"
    CORRECTION = "correction"
    DAMAGED = "damaged"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    ALLOCATED = "allocated"  # checkout promised units to an order
    RELEASED = "released"  # an unpaid, failed or cancelled order gave them back
    SOLD = "sold"  # a paid order turned its allocation into a sale
    RETURNED = "returned"
    IMPORT = "import"


class StockMovement(Base):
    """One line of the stock ledger: who changed what, by how much, why."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="RESTRICT"), index=True)
    delta: Mapped[int] = mapped_column(comment="change of on hand")
    allocated_delta: Mapped[int] = mapped_column(default=0, comment="change of allocated")
    reason: Mapped[MovementReason] = mapped_column(enum_column(MovementReason, "movement_reason"))
    reference: Mapped[str] = mapped_column(String(255), default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    actor: Mapped[str] = mapped_column(String(320), default="system")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    variant: Mapped[Variant] = relationship()
    location: Mapped[Location] = relationship()

    __table_args__ = (Index("ix_stock_movements_variant_id_created_at", "variant_id", "created_at"),)
