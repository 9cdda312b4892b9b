"""How fast the outbox worker delivers order confirmations through a real SMTP server.

    python bench/outbox_worker.py [--events 500] [--workers 1] [--database-url URL]

Creates a fresh SQLite file (or uses the given, emptied PostgreSQL database), writes N paid
orders with a confirmation each, starts aiosmtpd on a free port and times `run_once` of one
or more workers (threads, each with its own engine). Prints mails per second.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shop.config import Settings
from shop.core.db import make_engine, make_session_factory, unit_of_work
from shop.core.models import Base
from shop.core.notifications.services import EMAIL_ORDER_CONFIRMATION, enqueue
from shop.core.notifications.worker import OutboxWorker
from tests.factories import make_order, make_product
from tests.smtp_inbox import start_inbox


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bench-outbox-"))
    url = args.database_url or f"sqlite:///{folder / 'shop.db'}"
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        product = make_product(session, stock=None)
        for n in range(args.events):
            order = make_order(session, product=product, email=f"buyer{n}@example.com")
            enqueue(
                session,
                EMAIL_ORDER_CONFIRMATION,
                {
                    "order_id": order.id,
                    "order_number": order.number,
                    "email": order.email,
                    "resend": False,
                },
            )
    inbox, controller = start_inbox()
    settings = Settings(dir=folder, database_url=url, smtp_url=inbox.url, env="test")
    engines = [make_engine(url) for _ in range(args.workers)]
    workers = [OutboxWorker(settings, e) for e in engines]
    threads = [threading.Thread(target=w.run_once) for w in workers]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    controller.stop()
    for e in [*engines, engine]:
        e.dispose()
    assert len(inbox.messages) == args.events, (len(inbox.messages), args.events)
    kind = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(
        f"{kind}, {args.workers} worker(s): {args.events} mails in {elapsed:.2f} s "
        f"= {args.events / elapsed:.0f} mails/s (each rendered text+HTML, sent over SMTP)"
    )


if __name__ == "__main__":
    main()
