"""How fast the admin's busiest pages answer on a large store.

Seeds 50,000 products (two variants each, stock at one location) and 100,000 orders
(one line each) with bulk Core inserts, serves the app with uvicorn, signs in as an
owner and prints the median time of several requests to the products list, the orders
list, searches and the dashboard. Target: every page under 300 ms.

    python bench/admin.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/shop_admin
    python bench/admin.py --sqlite            # a temporary SQLite file instead

The database given is emptied first.
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import Engine, insert, text

from shop.api.app import create_app
from shop.config import Settings
from shop.core.catalog.models import Product, Variant
from shop.core.db import make_engine, make_session_factory, unit_of_work, utcnow
from shop.core.inventory.models import Location, StockLevel
from shop.core.models import Base
from shop.core.orders.models import Order, OrderLine, OrderStatus, PaymentStatus
from shop.core.staff.models import StaffRole
from shop.core.staff.services import create_staff_user

PRODUCTS = 50_000
VARIANTS_PER_PRODUCT = 2
ORDERS = 100_000
CHUNK = 5_000
TARGET_MS = 300
PASSWORD = "benchmark password"
WORDS = [
    "linen",
    "wool",
    "cotton",
    "shirt",
    "dress",
    "coat",
    "scarf",
    "boot",
    "cap",
    "sock",
    "belt",
    "bag",
    "jacket",
    "knit",
    "denim",
    "silk",
]


def chunks(rows: Iterator[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(engine: Engine, *, products: int, orders: int) -> None:
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    rng = random.Random(7)
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(Location),
            [{"id": 1, "name": "Warehouse", "code": "WH", "active": True, "priority": 0, "address": ""}],
        )

        def product_rows() -> Iterator[dict[str, Any]]:
            for i in range(1, products + 1):
                words = " ".join(rng.sample(WORDS, 2))
                when = now - timedelta(minutes=rng.randrange(0, 525_600))
                yield {
                    "id": i,
                    "title": f"{words.title()} {i}",
                    "slug": f"p-{i}",
                    "description": "",
                    "status": rng.choice(["active"] * 8 + ["draft", "archived"]),
                    "vendor": f"Vendor {i % 50}",
                    "product_type": WORDS[i % len(WORDS)],
                    "tags": "",
                    "seo_title": "",
                    "seo_description": "",
                    "version": 1,
                    "created_at": when,
                    "updated_at": when,
                }

        def variant_rows() -> Iterator[dict[str, Any]]:
            for i in range(1, products + 1):
                for j in range(VARIANTS_PER_PRODUCT):
                    yield {
                        "id": (i - 1) * VARIANTS_PER_PRODUCT + j + 1,
                        "product_id": i,
                        "sku": f"SKU-{i}-{j}",
                        "title": ["S", "M", "L"][j % 3],
                        "position": j + 1,
                        "price": 500 + (i * 37) % 20_000,
                        "compare_at_price": None,
                        "weight_grams": 200,
                        "barcode": "",
                        "requires_shipping": True,
                        "taxable": True,
                        "inventory_policy": "deny",
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }

        def level_rows() -> Iterator[dict[str, Any]]:
            for v in range(1, products * VARIANTS_PER_PRODUCT + 1):
                yield {
                    "variant_id": v,
                    "location_id": 1,
                    "on_hand": rng.randrange(0, 50),
                    "allocated": 0,
                    "allow_negative": False,
                    "low_stock_threshold": 3,
                    "updated_at": now,
                }

        def order_rows() -> Iterator[dict[str, Any]]:
            for n in range(1, orders + 1):
                placed = now - timedelta(minutes=rng.randrange(0, 525_600))
                paid = rng.random() < 0.9
                total = 1000 + (n * 53) % 30_000
                yield {
                    "id": n,
                    "number": 1000 + n,
                    "token": f"t{n:063d}",
                    "email": f"buyer{n % 20_000}@example.com",
                    "status": (
                        OrderStatus.COMPLETED
                        if paid and rng.random() < 0.8
                        else OrderStatus.OPEN
                        if paid
                        else OrderStatus.CANCELLED
                    ).value,
                    "payment_status": (PaymentStatus.PAID if paid else PaymentStatus.VOIDED).value,
                    "fulfillment_status": "unfulfilled",
                    "currency": "EUR",
                    "subtotal": total,
                    "discount_total": 0,
                    "shipping_total": 0,
                    "tax_total": 0,
                    "total": total,
                    "prices_include_tax": True,
                    "shipping_method_name": "",
                    "customer_note": "",
                    "payment_provider": "manual",
                    "placed_at": placed,
                    "paid_at": placed if paid else None,
                    "cancel_reason": "",
                    "created_at": placed,
                    "updated_at": placed,
                }

        def line_rows() -> Iterator[dict[str, Any]]:
            for n in range(1, orders + 1):
                product = 1 + (n * 7919) % products
                total = 1000 + (n * 53) % 30_000
                yield {
                    "order_id": n,
                    "variant_id": (product - 1) * VARIANTS_PER_PRODUCT + 1,
                    "product_id": product,
                    "title": f"Product {product}",
                    "variant_title": "S",
                    "sku": f"SKU-{product}-0",
                    "unit_price": total,
                    "quantity": 1,
                    "discount_total": 0,
                    "tax_total": 0,
                    "line_total": total,
                    "requires_shipping": True,
                    "taxable": True,
                    "quantity_fulfilled": 0,
                }

        for model, rows in (
            (Product, product_rows()),
            (Variant, variant_rows()),
            (StockLevel, level_rows()),
            (Order, order_rows()),
            (OrderLine, line_rows()),
        ):
            started = time.perf_counter()
            count = 0
            for batch in chunks(rows):
                conn.execute(insert(model), batch)
                count += len(batch)
            print(f"  seeded {count:>7,} {model.__tablename__} in {time.perf_counter() - started:.1f} s")
        if engine.dialect.name == "postgresql":
            for table in ("products", "variants", "stock_levels", "orders", "order_lines"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
        else:
            conn.exec_driver_sql("ANALYZE")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(settings: Settings, port: int) -> uvicorn.Server:
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server


def sign_in(client: httpx.Client, email: str) -> None:
    page = client.get("/admin/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/admin/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert response.status_code == 302, response.text[:300]


def measure(client: httpx.Client, url: str, repeat: int) -> float:
    client.get(url)  # warm caches and the connection pool
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.text[-500:])
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="PostgreSQL URL (emptied first)")
    parser.add_argument("--sqlite", action="store_true", help="use a temporary SQLite file")
    parser.add_argument("--products", type=int, default=PRODUCTS)
    parser.add_argument("--orders", type=int, default=ORDERS)
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--no-seed", action="store_true", help="reuse the data of a previous run")
    args = parser.parse_args()
    if not args.database_url and not args.sqlite:
        parser.error("give --database-url or --sqlite")
    workdir = Path(tempfile.mkdtemp(prefix="shop-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    engine = make_engine(url)
    if not args.no_seed:
        print(f"seeding {args.products:,} products and {args.orders:,} orders into {engine.dialect.name}")
        seed(engine, products=args.products, orders=args.orders)
    settings = Settings(
        dir=workdir,
        env="test",
        database_url=url,
        secret_key="bench-" + "x" * 40,
        site_url="http://127.0.0.1",
        api_url="http://127.0.0.1/api/v1",
    )
    with unit_of_work(make_session_factory(engine)) as s:
        s.execute(text("DELETE FROM staff_users WHERE email = 'bench@shop.test'"))
        create_staff_user(s, email="bench@shop.test", password=PASSWORD, role=StaffRole.OWNER)
    engine.dispose()

    port = free_port()
    server = serve(settings, port)
    last_page = max(1, args.products // 50)
    pages = {
        "products list": "/admin/product/list",
        f"products list, page {last_page}": f"/admin/product/list?page={last_page}",
        "products search": "/admin/product/list?search=wool%20coat",
        "products by status": "/admin/product/list?status=draft",
        "orders list": "/admin/order/list",
        "orders search (number)": "/admin/order/list?search=54321",
        "orders search (e-mail)": "/admin/order/list?search=buyer1234@",
        "variants search (SKU)": "/admin/variant/list?search=SKU-4242-",
        "dashboard": "/admin/",
    }
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            sign_in(client, "bench@shop.test")
            print(f"median of {args.repeat} requests, signed in as owner:")
            slow = []
            for label, path in pages.items():
                ms = measure(client, path, args.repeat)
                flag = "ok" if ms < TARGET_MS else "SLOW"
                if ms >= TARGET_MS:
                    slow.append(label)
                print(f"  {label:<28} {ms:7.1f} ms  {flag}")
    finally:
        server.should_exit = True
    print("all under" if not slow else "over", f"{TARGET_MS} ms", "" if not slow else ", ".join(slow))


if __name__ == "__main__":
    main()
