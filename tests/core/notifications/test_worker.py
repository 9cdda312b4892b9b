"""The outbox worker against a real SMTP server (aiosmtpd), on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shop.config import Settings
from shop.core.customers.services import request_password_reset, reset_password
from shop.core.db import make_engine, utcnow
from shop.core.notifications import worker as outbox
from shop.core.notifications.models import OutboxEvent
from shop.core.notifications.services import (
    EMAIL_ORDER_CONFIRMATION,
    EMAIL_PASSWORD_RESET,
    EMAIL_REFUND,
    EMAIL_SHIPPING_CONFIRMATION,
    SITE_REBUILD,
    enqueue,
)
from shop.core.notifications.worker import MAX_ATTEMPTS, OutboxWorker, retry_delay
from shop.core.orders.models import Fulfillment, FulfillmentLine, Order, OrderStatus
from tests.factories import make_customer, make_order, make_product
from tests.order_factories import make_order as make_pending_order
from tests.smtp_inbox import Inbox

Db = Callable[[], AbstractContextManager[Session]]


@pytest.fixture
def mail_settings(settings: Settings, smtp_inbox: Inbox) -> Settings:
    return settings.model_copy(
        update={"smtp_url": smtp_inbox.url, "store_name": "Tea & Co", "mail_from": "hello@tea.test"}
    )


def confirmation(session: Session, order: Order, *, resend: bool = False) -> OutboxEvent:
    event = enqueue(
        session,
        EMAIL_ORDER_CONFIRMATION,
        {
            "order_id": order.id,
            "order_number": order.number,
            "email": order.email,
            "resend": resend,
        },
    )
    session.flush()
    return event


def refund_mail(session: Session, order: Order, amount: int) -> OutboxEvent:
    return enqueue(
        session,
        EMAIL_REFUND,
        {
            "order_id": order.id,
            "order_number": order.number,
            "email": order.email,
            "refund_id": 1,
            "amount": amount,
            "currency": "EUR",
        },
    )


def event_row(db: Db, event_id: int) -> OutboxEvent:
    with db() as s:
        row = s.get(OutboxEvent, event_id)
        assert row is not None
        return row


def test_an_order_confirmation_is_rendered_and_sent(
    mail_settings: Settings, engine: Engine, db: Db, smtp_inbox: Inbox
) -> None:
    with db() as s:
        product = make_product(s, title="Green <Tea>", price=1250)
        order = make_order(s, product=product, quantity=2, email="ada@example.com", shipping=490)
        event = confirmation(s, order)
    stats = OutboxWorker(mail_settings, engine).run_once()
    assert (stats.delivered, stats.failed) == (1, 0)
    (message,) = smtp_inbox.messages
    assert message["To"] == "ada@example.com"
    (sender,) = message["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("Tea & Co", "hello@tea.test")
    assert message["Subject"] == f"Thank you for your order #{order.number}"
    text = smtp_inbox.text()
    assert text.startswith("Hello Ada,\n")
    assert "2 x Green <Tea>  25.00 EUR" in text
    assert "Shipping: 4.90 EUR" in text and "Total: 29.90 EUR" in text
    assert "Ada Lovelace\n1 Main St\n10115 Berlin\nDE" in text
    assert f"{mail_settings.site_url}/order/?number={order.number}&token={order.token}" in text
    html = smtp_inbox.html()
    assert "Green &lt;Tea&gt;" in html and "<Tea>" not in html  # escaped in HTML
    assert "Discount" not in html and "Discount" not in text
    row = event_row(db, event.id)
    assert row.delivered_at is not None and row.attempts == 1 and row.last_error == ""
    # Delivered events are not sent again.
    assert OutboxWorker(mail_settings, engine).run_once().delivered == 0
    assert len(smtp_inbox.messages) == 1


def test_shipping_and_refund_mails(
    mail_settings: Settings, engine: Engine, db: Db, smtp_inbox: Inbox
) -> None:
    with db() as s:
        order = make_order(s, product=make_product(s, title="Kettle"), quantity=1, email="bo@example.com")
        fulfillment = Fulfillment(
            order_id=order.id,
            carrier="DHL",
            tracking_number="JD0001",
            tracking_url="https://track.test/JD0001",
        )
        fulfillment.lines.append(FulfillmentLine(order_line_id=order.lines[0].id, quantity=1))
        s.add(fulfillment)
        s.flush()
        enqueue(
            s,
            EMAIL_SHIPPING_CONFIRMATION,
            {
                "order_id": order.id,
                "order_number": order.number,
                "email": order.email,
                "fulfillment_id": fulfillment.id,
                "carrier": "DHL",
                "tracking_number": "JD0001",
            },
        )
        refund_mail(s, order, 450)
    assert OutboxWorker(mail_settings, engine).run_once().delivered == 2
    subjects = sorted(m["Subject"] for m in smtp_inbox.messages)
    assert subjects == [
        f"Refund for your order #{order.number}",
        f"Your order #{order.number} is on its way",
    ]
    shipped = next(i for i, m in enumerate(smtp_inbox.messages) if "on its way" in m["Subject"])
    assert "1 x Kettle" in smtp_inbox.text(shipped) and "https://track.test/JD0001" in smtp_inbox.text(
        shipped
    )
    refunded = 1 - shipped
    assert "refunded 4.50 EUR" in smtp_inbox.text(refunded)


def test_the_password_reset_mail_carries_a_working_link_and_the_token_is_blanked(
    mail_settings: Settings, engine: Engine, db: Db, smtp_inbox: Inbox
) -> None:
    with db() as s:
        make_customer(s, email="reset@example.com", first_name="Rita")
        request_password_reset(s, email="reset@example.com", now=utcnow())
    OutboxWorker(mail_settings, engine).run_once()
    (message,) = smtp_inbox.messages
    assert message["Subject"] == "Reset your password at Tea & Co"
    text = smtp_inbox.text()
    assert "Hello Rita," in text
    link = next(line for line in text.splitlines() if "/account/reset-password/?token=" in line)
    token = link.split("token=", 1)[1]
    with db() as s:
        event = s.scalars(select(OutboxEvent).where(OutboxEvent.topic == EMAIL_PASSWORD_RESET)).one()
        assert event.payload["token"] == outbox.REDACTED and event.delivered_at is not None
        assert (
            reset_password(s, token=token, password="a brand new password", now=utcnow()).email
            == "reset@example.com"
        )


def test_a_refused_mail_is_retried_with_backoff_then_sent(
    mail_settings: Settings, engine: Engine, db: Db, smtp_inbox: Inbox
) -> None:
    with db() as s:
        event = confirmation(s, make_order(s, product=make_product(s)))
    smtp_inbox.refuse = 1
    worker = OutboxWorker(mail_settings, engine)
    started = utcnow()
    assert worker.run_batch().failed == 1
    row = event_row(db, event.id)
    assert row.delivered_at is None and row.locked_until is None and row.attempts == 1
    assert "451" in row.last_error and "busy" in row.last_error
    assert started + timedelta(seconds=29) <= row.next_attempt_at <= utcnow() + timedelta(seconds=31)
    assert worker.run_batch().delivered == 0  # not due yet
    assert worker.run_batch(now=row.next_attempt_at).delivered == 1
    row = event_row(db, event.id)
    assert row.delivered_at is not None and row.attempts == 2 and row.last_error == ""
    assert len(smtp_inbox.messages) == 1


def test_backoff_doubles_up_to_a_ceiling() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(30) == timedelta(hours=6)


def test_the_worker_gives_up_after_the_last_attempt(
    mail_settings: Settings, engine: Engine, db: Db, smtp_inbox: Inbox
) -> None:
    with db() as s:
        event = confirmation(s, make_order(s, product=make_product(s)))
        event.attempts = MAX_ATTEMPTS - 1
    smtp_inbox.refuse = 5
    worker = OutboxWorker(mail_settings, engine)
    assert worker.run_batch().failed == 1
    row = event_row(db, event.id)
    assert row.attempts == MAX_ATTEMPTS and row.last_error.startswith(
        f"gave up after {MAX_ATTEMPTS} attempts"
    )
    assert worker.run_batch(now=utcnow() + timedelta(days=30)).failed == 0


def test_a_leased_event_is_left_alone_until_its_lease_ends(
    mail_settings: Settings, engine: Engine, db: Db, smtp_inbox: Inbox
) -> None:
    with db() as s:
        event = confirmation(s, make_order(s, product=make_product(s)))
        event.locked_until = utcnow() + timedelta(minutes=2)
    worker = OutboxWorker(mail_settings, engine)
    assert worker.run_batch().delivered == 0
    # The worker holding it died: once the lease ends, another one sends it.
    assert worker.run_batch(now=utcnow() + timedelta(minutes=3)).delivered == 1


def test_two_workers_never_send_the_same_event(
    mail_settings: Settings, db_url: str, db: Db, smtp_inbox: Inbox
) -> None:
    with db() as s:
        product = make_product(s)
        orders = [make_order(s, product=product, email=f"b{n}@example.com") for n in range(24)]
        for order in orders:
            confirmation(s, order)
    engines = [make_engine(db_url) for _ in range(3)]
    workers = [OutboxWorker(mail_settings, engine, batch_size=4) for engine in engines]
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(worker: OutboxWorker) -> None:
        try:
            barrier.wait()
            worker.run_once()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for engine in engines:
        engine.dispose()
    assert errors == []
    recipients = sorted(m["To"] for m in smtp_inbox.messages)
    assert recipients == sorted(o.email for o in orders)
    with db() as s:
        assert all(e.attempts == 1 and e.delivered_at for e in s.scalars(select(OutboxEvent)))


def test_an_event_whose_order_is_gone_is_skipped(
    mail_settings: Settings,
    engine: Engine,
    db: Db,
    smtp_inbox: Inbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with db() as s:
        event = enqueue(
            s, EMAIL_ORDER_CONFIRMATION, {"order_id": 987654, "order_number": 1, "email": "x@y.z"}
        )
        rebuild = enqueue(s, SITE_REBUILD, {"reason": "reviews"})
    stats = OutboxWorker(mail_settings, engine).run_once()
    assert (stats.skipped, stats.delivered) == (1, 0)
    assert smtp_inbox.messages == []
    assert event_row(db, event.id).last_error == "skipped: order 1 no longer exists"
    # No handler for the topic here: it waits, untouched, for a worker that knows it.
    untouched = event_row(db, rebuild.id)
    assert untouched.attempts == 0 and untouched.delivered_at is None
    assert "skipped" in caplog.text


def test_without_smtp_the_mail_is_logged(
    settings: Settings, engine: Engine, db: Db, caplog: pytest.LogCaptureFixture
) -> None:
    with db() as s:
        order = make_order(s, product=make_product(s), email="log@example.com")
        confirmation(s, order)
    with caplog.at_level(logging.INFO, logger="shop.core.notifications.mail"):
        assert OutboxWorker(settings, engine).run_once().delivered == 1
    assert f"mail to log@example.com: Thank you for your order #{order.number}" in caplog.text


def test_a_store_can_override_a_mail_template(
    mail_settings: Settings, engine: Engine, db: Db, smtp_inbox: Inbox, tmp_path: Path
) -> None:
    (tmp_path / "emails").mkdir()
    (tmp_path / "emails" / "refund.txt").write_text(
        "Subject: Money back, #{{ order.number }}\n\nAll {{ amount }}.\n"
    )
    with db() as s:
        order = make_order(s, product=make_product(s))
        refund_mail(s, order, 1000)
    OutboxWorker(mail_settings, engine).run_once()
    assert smtp_inbox.messages[0]["Subject"] == f"Money back, #{order.number}"
    assert smtp_inbox.text().strip() == "All 10.00 EUR."
    assert "We have refunded 10.00 EUR" in smtp_inbox.html()  # the shipped HTML still applies


def test_the_worker_releases_unpaid_orders_past_their_time(
    settings: Settings, engine: Engine, db: Db
) -> None:
    with db() as s:
        stale = make_pending_order(s, [(make_product(s, stock=5), 2)])
        fresh = make_pending_order(s, [(make_product(s, stock=5), 1)])
        stale.expires_at = utcnow() - timedelta(minutes=1)
    assert OutboxWorker(settings, engine).run_once().expired_orders == 1
    with db() as s:
        assert s.get(Order, stale.id).status == OrderStatus.CANCELLED  # type: ignore[union-attr]
        assert s.get(Order, fresh.id).status == OrderStatus.PENDING_PAYMENT  # type: ignore[union-attr]


def test_smtp_login_with_url_encoded_credentials(
    settings: Settings, engine: Engine, db: Db, smtp_inbox: Inbox
) -> None:
    url = smtp_inbox.url.replace("smtp://", "smtp://mailer:p%40ss%3Aword@")
    with db() as s:
        confirmation(s, make_order(s, product=make_product(s)))
    assert OutboxWorker(settings.model_copy(update={"smtp_url": url}), engine).run_once().delivered == 1
    assert smtp_inbox.logins == [("mailer", "p@ss:word")]


def test_a_malformed_smtp_url_is_refused(settings: Settings, engine: Engine) -> None:
    with pytest.raises(ValueError, match="smtp://user:pass@host:port"):
        OutboxWorker(settings.model_copy(update={"smtp_url": "mail.example.com:25"}), engine)
