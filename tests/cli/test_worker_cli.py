"""`shop worker` through its real entry point, against a real SMTP server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from sqlalchemy.orm import Session

from shop.core.notifications.services import EMAIL_ORDER_CONFIRMATION, SITE_REBUILD, enqueue
from tests.factories import make_order, make_product
from tests.smtp_inbox import Inbox

Db = Callable[[], AbstractContextManager[Session]]


def _env(tmp_path: Path, db_url: str, smtp_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOP_")}
    return {
        **env,
        "SHOP_DIR": str(tmp_path),
        "SHOP_DATABASE_URL": db_url,
        "SHOP_SMTP_URL": smtp_url,
        "SHOP_LOG_JSON": "true",
    }


def _confirmation(db: Db, email: str) -> None:
    with db() as s:
        order = make_order(s, product=make_product(s), email=email)
        enqueue(
            s,
            EMAIL_ORDER_CONFIRMATION,
            {"order_id": order.id, "order_number": order.number, "email": email, "resend": False},
        )


def test_worker_once_delivers_what_is_due_and_prints_counts(
    tmp_path: Path, db_url: str, db: Db, smtp_inbox: Inbox
) -> None:
    _confirmation(db, "once@example.com")
    done = subprocess.run(
        [sys.executable, "-m", "shop.cli", "worker", "--once", "--json"],
        env=_env(tmp_path, db_url, smtp_inbox.url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "delivered": 1,
        "failed": 0,
        "skipped": 0,
        "expired_orders": 0,
    }
    assert [m["To"] for m in smtp_inbox.messages] == ["once@example.com"]
    # Logs are JSON lines carrying the event as their request id.
    delivered = [json.loads(line) for line in done.stderr.splitlines() if "delivered" in line]
    assert delivered and delivered[0]["request_id"].startswith("outbox-")


def test_worker_runs_until_sigterm(tmp_path: Path, db_url: str, db: Db, smtp_inbox: Inbox) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "shop.cli", "worker", "--poll", "0.1"],
        env=_env(tmp_path, db_url, smtp_inbox.url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _confirmation(db, "later@example.com")
        deadline = time.monotonic() + 20
        while not smtp_inbox.messages and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert [m["To"] for m in smtp_inbox.messages] == ["later@example.com"]
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_worker_on_a_database_without_tables_says_what_to_do(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shop.cli", "worker", "--once"],
        env=_env(tmp_path, f"sqlite:///{tmp_path / 'empty.db'}", ""),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("error: the database has no tables yet; run `shop db upgrade`")
    )


def test_worker_rebuilds_the_storefront_on_a_site_rebuild_event(
    tmp_path: Path, db_url: str, db: Db, smtp_inbox: Inbox
) -> None:
    with db() as s:
        product = make_product(s)
        enqueue(s, SITE_REBUILD, {"reason": "reviews", "product_ids": [product.id]})
    done = subprocess.run(
        [sys.executable, "-m", "shop.cli", "worker", "--once", "--json"],
        env=_env(tmp_path, db_url, smtp_inbox.url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["delivered"] == 1
    page = tmp_path / "public" / "products" / product.slug / "index.html"
    assert product.title in page.read_text()
