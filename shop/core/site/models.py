"""Store-wide bookkeeping: counters, idempotency, processed webhooks, builds and publishes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Sequence, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shop.core.db import Base, utcnow

FIRST_ORDER_NUMBER = 1001

# Order numbers on PostgreSQL: nextval() takes no row lock and is never rolled back, so
# concurrent checkouts do not queue behind one counter row until they commit (a checkout
# refused afterwards leaves a gap, as any database sequence does). SQLite has no sequences
# and serialises its writers anyway: there the `order_number` counter row is used.
ORDER_NUMBERS = Sequence("order_numbers", start=FIRST_ORDER_NUMBER, metadata=Base.metadata)


class Counter(Base):
    """Named sequences that work alike on SQLite and PostgreSQL (order numbers)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int]


class IdempotencyKey(Base):
    """The answer given to a request with an `Idempotency-Key`, to give it again."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(64))  # e.g. "checkout"
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (UniqueConstraint("scope", "key"),)


class WebhookEvent(Base):
    """A provider event already handled; its id is never handled twice."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("provider", "event_id"),)


class SiteRun(Base):
    """One `shop build` or `shop publish`, for the dashboard and `shop releases`."""

    __tablename__ = "site_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # build | publish | rollback
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    release: Mapped[str | None] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(1000), default="")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (Index("ix_site_runs_kind_started_at", "kind", "started_at"),)
