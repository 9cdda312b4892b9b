"""`shop worker`: the outbox worker (e-mails) and the release of unpaid orders, as a process."""

from __future__ import annotations

import json
import signal
import threading
from dataclasses import asdict
from typing import Annotated

import typer


def worker(
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due now, then exit.")] = False,
    poll: Annotated[float, typer.Option(help="Seconds to wait when nothing is due.", min=0.1)] = 2.0,
    json_output: Annotated[
        bool, typer.Option("--json", help="With --once: print the counts as JSON.")
    ] = False,
) -> None:
    """Deliver outbox events (order, shipping, refund and password mails; storefront rebuilds)
    with retries, and release the stock of orders left unpaid; runs until stopped (Ctrl-C or SIGTERM)."""
    from sqlalchemy.exc import SQLAlchemyError

    from shop.cli import _database_hint, fail, load_settings
    from shop.config.logging import configure_logging
    from shop.core.db import make_engine
    from shop.core.notifications.worker import OutboxWorker
    from shop.generator import rebuild

    settings = load_settings()
    configure_logging(settings)
    engine = make_engine(settings.resolved_database_url)
    try:
        try:
            outbox = OutboxWorker(settings, engine, handlers=rebuild.handlers())
        except ValueError as exc:
            fail(f"setting SHOP_SMTP_URL: {exc}")
        if once:
            stats = outbox.run_once()
            if json_output:
                typer.echo(json.dumps(asdict(stats)))
            else:
                typer.echo(
                    f"delivered {stats.delivered}, failed {stats.failed}, skipped {stats.skipped}, "
                    f"unpaid orders released {stats.expired_orders}"
                )
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        outbox.run_forever(stop, poll_seconds=poll)
    except SQLAlchemyError as exc:
        fail(_database_hint(exc))
    finally:
        engine.dispose()
