"""A built product page in Chromium: no console errors, the option picker and add-to-cart work.

The pages call the commerce API (built on another branch); here its two answers the product
page needs are given by Playwright's router, shaped as that API's contract describes.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from shop.config import Settings
from shop.generator.pipeline import build_site
from tests.generator.conftest import FixtureCatalog

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(settings: Settings, catalog: FixtureCatalog) -> Iterator[tuple[str, Settings]]:
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(QuietHandler, directory=str(settings.output_path))
    )
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    local = settings.model_copy(update={"site_url": origin, "api_url": f"{origin}/api/v1"})
    build_site(local, jobs=1)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield origin, local
    server.shutdown()
    server.server_close()


def test_product_page_renders_without_errors_and_the_option_picker_works(
    served: tuple[str, Settings],
) -> None:
    from playwright.sync_api import sync_playwright

    origin, _ = served
    added: list[dict] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            def availability(route) -> None:
                skus = route.request.url.split("skus=")[1].split(",")
                # The live answer: Black / S now costs 23.00; Black / M has just sold out.
                items = [
                    {
                        "sku": s,
                        "price": {"amount": 2300 if s == "TEE-B-S" else 2500, "currency": "EUR"},
                        "available": 0 if s in ("TEE-B-M", "TEE-W-L") else 8,
                    }
                    for s in skus
                ]
                route.fulfill(
                    status=200, content_type="application/json", body=json.dumps({"items": items})
                )

            def carts(route) -> None:
                request = route.request
                if request.method == "POST" and request.url.endswith("/carts"):
                    route.fulfill(
                        status=201, content_type="application/json", body='{"token": "tok"}'
                    )
                elif request.method == "POST" and request.url.endswith("/carts/tok/lines"):
                    added.append(request.post_data_json)
                    body = {
                        "token": "tok",
                        "lines": [{"sku": added[-1]["sku"], "quantity": added[-1]["quantity"]}],
                    }
                    route.fulfill(
                        status=201, content_type="application/json", body=json.dumps(body)
                    )
                else:
                    route.fulfill(status=404, content_type="application/problem+json", body="{}")

            page.route("**/api/v1/availability*", availability)
            page.route("**/api/v1/carts**", carts)
            page.goto(f"{origin}/products/organic-tee/")
            picker = page.locator("[data-option-picker]")
            picker.wait_for(state="visible")
            assert page.locator("[data-variant-field]").is_hidden()
            price = page.locator("[data-product-price] [data-price]")
            state = page.locator("[data-availability]")
            # The live price of the default variant (Black / S) replaced the built one.
            page.wait_for_function(
                "document.querySelector('[data-price]').textContent === '€23.00'"
            )

            def choose(value: str) -> None:
                page.locator(".option label").filter(
                    has_text=re.compile(rf"^\s*{value}\s*$")
                ).click()

            choose("White")
            choose("L")
            assert state.get_attribute("data-state") == "sold_out"
            assert page.locator("[data-add-button]").is_disabled()
            assert page.locator("[data-variant-select]").input_value() == "TEE-W-L"
            assert price.text_content() == "€25.00"

            choose("Black")
            choose("M")  # sold out since the build
            assert state.text_content() == "Sold out"
            choose("S")
            assert (
                state.text_content() == "In stock"
                and not page.locator("[data-add-button]").is_disabled()
            )
            assert "variant=" in page.url

            page.fill("#quantity", "2")
            page.click("[data-add-button]")
            page.wait_for_function(
                "document.querySelector('[data-cart-status]').textContent.includes('Added')"
            )
            assert added == [{"sku": "TEE-B-S", "quantity": 2}]
            assert page.locator("[data-cart-count]").text_content().endswith("2")
            assert errors == []
        finally:
            browser.close()
