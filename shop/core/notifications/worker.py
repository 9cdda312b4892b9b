"""The outbox worker: delivers what services wrote to the outbox, at least once, with retries.

1. Claim: in one short transaction, pick due events (undelivered, `next_attempt_at` passed,
   not leased) and lease each with a guarded `UPDATE ... WHERE locked_until IS NULL OR
   locked_until <= now`, so two workers (threads, processes or machines; SQLite or PostgreSQL)
   never hold the same event. PostgreSQL also skips rows another worker has locked.
2. Deliver each event outside any transaction (SMTP can be slow), through its topic's handler.
3. Record: delivered (secrets in the payload blanked), or the error and the next attempt after
   an exponential backoff; after MAX_ATTEMPTS the event is left undelivered for a human.

A worker that dies mid-send leaves a lease that expires: the event is sent again (at least
once). Topics without a handler here stay pending until a worker that knows them runs.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, or_, select, update
from sqlalchemy.orm import Session

from shop.config import Settings
from shop.config.logging import request_id_var
from shop.core.db import make_session_factory, unit_of_work, utcnow
from shop.core.notifications.emails import (
    MAIL_BUILDERS,
    MailContext,
    Skip,
    mail_handler,
    template_environment,
)
from shop.core.notifications.mail import Mailer, mailer_for
from shop.core.notifications.models import OutboxEvent
from shop.core.notifications.services import PAYMENT_CANCEL
from shop.core.orders.services import expire_unpaid_orders

log = logging.getLogger(__name__)

Handler = Callable[[MailContext, dict[str, Any]], None]


def cancel_payment_page(context: MailContext, payload: dict[str, Any]) -> None:
    from shop.core.payments.registry import get_provider

    get_provider(payload["provider"], context.settings).cancel_payment(payload["reference"])


HANDLERS: dict[str, Handler] = {
    **{topic: mail_handler(builder) for topic, builder in MAIL_BUILDERS.items()},
    PAYMENT_CANCEL: cancel_payment_page,
}
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(hours=6)
LEASE = timedelta(minutes=5)
# Payload keys that must not outlive the send (a password-reset token).
SECRET_KEYS = frozenset({"token"})
REDACTED = "[sent]"


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... doubling per failed attempt, at most 6 h."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    topic: str
    payload: dict[str, Any]
    attempts: int


@dataclass
class RunStats:
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    expired_orders: int = 0

    def add(self, other: RunStats) -> None:
        self.delivered += other.delivered
        self.failed += other.failed
        self.skipped += other.skipped
        self.expired_orders += other.expired_orders


def _free(now: datetime) -> ColumnElement[bool]:
    return or_(OutboxEvent.locked_until.is_(None), OutboxEvent.locked_until <= now)


def due(now: datetime, topics: list[str]) -> Select[int]:
    """Events a worker may take now: undelivered, due, not given up on, not leased."""
    return select(OutboxEvent.id).where(
        OutboxEvent.delivered_at.is_(None),
        OutboxEvent.next_attempt_at <= now,
        OutboxEvent.attempts < MAX_ATTEMPTS,
        OutboxEvent.topic.in_(topics),
        _free(now),
    )


def claim_due(session: Session, *, now: datetime, limit: int, topics: list[str]) -> list[Claimed]:
    free = _free(now)
    candidates = session.scalars(
        due(now, topics)
        .order_by(OutboxEvent.next_attempt_at, OutboxEvent.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's write lock already serialises
    ).all()
    claimed = []
    for event_id in candidates:
        row = session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id, OutboxEvent.delivered_at.is_(None), free)
            .values(locked_until=now + LEASE, attempts=OutboxEvent.attempts + 1)
            .returning(OutboxEvent.topic, OutboxEvent.payload, OutboxEvent.attempts)
            .execution_options(synchronize_session=False)
        ).first()
        if row is not None:
            claimed.append(Claimed(event_id, row.topic, dict(row.payload or {}), row.attempts))
    return claimed


def _redacted(payload: dict[str, Any]) -> dict[str, Any]:
    return {key: (REDACTED if key in SECRET_KEYS else value) for key, value in payload.items()}


class OutboxWorker:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        *,
        mailer: Mailer | None = None,
        batch_size: int = 20,
        expire_every: timedelta = timedelta(minutes=1),
        handlers: dict[str, Handler] | None = None,
    ) -> None:
        """`handlers` adds topics another package handles (the site builder: `site.rebuild`);
        a topic no handler knows waits, untouched, for a worker that knows it."""
        self.settings = settings
        self.handlers = {**HANDLERS, **(handlers or {})}
        self.sessions = make_session_factory(engine)
        self.batch_size = batch_size
        self.expire_every = expire_every
        self.name = uuid.uuid4().hex[:8]
        self._last_expiry: datetime | None = None
        self.context = MailContext(
            settings,
            make_session_factory(engine, read_only=True),
            mailer or mailer_for(settings.smtp_url),
            template_environment(settings),
        )

    def run_batch(self, *, now: datetime | None = None) -> RunStats:
        """Claim and deliver one batch of due events."""
        stats = RunStats()
        when, topics = now or utcnow(), sorted(self.handlers)
        # Look before taking the write lock: an idle worker must not hold up SQLite's writers.
        with self.context.sessions() as reader:
            if not reader.scalar(select(due(when, topics).exists())):
                return stats
        with unit_of_work(self.sessions) as session:
            claimed = claim_due(session, now=when, limit=self.batch_size, topics=topics)
        for event in claimed:
            outcome = self._deliver(event)
            setattr(stats, outcome, getattr(stats, outcome) + 1)
        return stats

    def _deliver(self, event: Claimed) -> str:
        token = request_id_var.set(f"outbox-{event.id}")
        try:
            self.handlers[event.topic](self.context, event.payload)
        except Skip as exc:
            log.warning("outbox event %s (%s) skipped: %s", event.id, event.topic, exc)
            self._finish(event, error=f"skipped: {exc}")
            return "skipped"
        except Exception as exc:
            self._retry(event, exc)
            return "failed"
        else:
            self._finish(event, error="")
            log.info("outbox event %s (%s) delivered", event.id, event.topic)
            return "delivered"
        finally:
            request_id_var.reset(token)

    def _finish(self, event: Claimed, *, error: str) -> None:
        with unit_of_work(self.sessions) as session:
            session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == event.id)
                .values(
                    delivered_at=utcnow(),
                    locked_until=None,
                    last_error=error,
                    payload=_redacted(event.payload),
                )
                .execution_options(synchronize_session=False)
            )

    def _retry(self, event: Claimed, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc}"[:2000]
        final = event.attempts >= MAX_ATTEMPTS
        if final:
            message = f"gave up after {event.attempts} attempts: {message}"[:2000]
            log.error("outbox event %s (%s) %s", event.id, event.topic, message)
        else:
            log.warning(
                "outbox event %s (%s) attempt %s failed: %s",
                event.id,
                event.topic,
                event.attempts,
                message,
            )
        with unit_of_work(self.sessions) as session:
            session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == event.id)
                .values(
                    locked_until=None,
                    last_error=message,
                    next_attempt_at=utcnow() + retry_delay(event.attempts),
                )
                .execution_options(synchronize_session=False)
            )

    def expire_orders(self, *, now: datetime | None = None) -> int:
        """Give back the stock of orders left unpaid past their time."""
        with unit_of_work(self.sessions) as session:
            released = expire_unpaid_orders(session, now=now or utcnow())
        if released:
            log.info("released %s unpaid orders", released)
        self._last_expiry = now or utcnow()
        return released

    def run_once(self) -> RunStats:
        """Everything due now: expire unpaid orders, then deliver batches until none is left."""
        stats = RunStats(expired_orders=self.expire_orders())
        while True:
            batch = self.run_batch()
            stats.add(batch)
            if not (batch.delivered or batch.failed or batch.skipped):
                return stats

    def run_forever(self, stop: threading.Event, *, poll_seconds: float = 2.0) -> None:
        log.info("outbox worker %s started", self.name)
        while not stop.is_set():
            now = utcnow()
            if self._last_expiry is None or now - self._last_expiry >= self.expire_every:
                try:
                    self.expire_orders(now=now)
                except Exception:
                    log.exception("expiring unpaid orders failed")
            try:
                batch = self.run_batch()
            except Exception:
                log.exception("claiming outbox events failed")
                batch = RunStats()
            if not (batch.delivered or batch.failed or batch.skipped):
                stop.wait(poll_seconds)
        log.info("outbox worker %s stopped", self.name)
