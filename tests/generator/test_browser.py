"""A built product page in Chromium: no console errors, the option picker and add-to-cart work.

The site and the real API are served on one origin by uvicorn, as `shop demo` does, so the
page's live price, availability and add-to-cart go through the actual API contract.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, select, update

from shop.api import create_app
from shop.config import Settings
from shop.core.catalog.models import Variant
from shop.core.inventory.models import StockLevel
from shop.generator import search
from shop.generator.pipeline import build_site
from tests.generator.conftest import FixtureCatalog
from tests.live_server import free_port

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture
def served(settings: Settings, catalog: FixtureCatalog, engine: Engine) -> Iterator[str]:
    """The built site and the real API on one origin, as `shop demo` serves them."""
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    local = settings.model_copy(update={"site_url": origin, "api_url": f"{origin}/api/v1"})
    build_site(local, jobs=1)
    # Since the build: Black / S now costs 23.00 and Black / M has sold out.
    with engine.begin() as conn:
        conn.execute(update(Variant).where(Variant.sku == "TEE-B-S").values(price=2300))
        black_m = select(Variant.id).where(Variant.sku == "TEE-B-M").scalar_subquery()
        conn.execute(update(StockLevel).where(StockLevel.variant_id == black_m).values(on_hand=0))
    server = uvicorn.Server(
        uvicorn.Config(create_app(local, serve_site=True), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield origin
    server.should_exit = True
    thread.join(timeout=10)


def test_product_page_renders_without_errors_and_the_option_picker_works(served: str) -> None:
    from playwright.sync_api import sync_playwright

    origin = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))

            page.goto(f"{origin}/products/organic-tee/")
            picker = page.locator("[data-option-picker]")
            picker.wait_for(state="visible")
            assert page.locator("[data-variant-field]").is_hidden()
            price = page.locator("[data-product-price] [data-price]")
            state = page.locator("[data-availability]")
            # The live price of the default variant (Black / S) replaced the built one.
            page.wait_for_function("document.querySelector('[data-price]').textContent === '€23.00'")

            def choose(value: str) -> None:
                page.locator(".option label").filter(has_text=re.compile(rf"^\s*{value}\s*$")).click()

            first_image = page.locator(".gallery .gallery-item").first
            black, white = (
                page.locator(".gallery .gallery-item").nth(i).get_attribute("data-image-id") for i in (0, 1)
            )
            choose("White")
            assert first_image.get_attribute("data-image-id") == white  # the white photo comes first
            choose("L")
            assert state.get_attribute("data-state") == "sold_out"
            assert page.locator("[data-add-button]").is_disabled()
            assert page.locator("[data-variant-select]").input_value() == "TEE-W-L"
            assert price.text_content() == "€27.00"  # L costs more, as built and as live

            choose("Black")
            choose("M")  # sold out since the build
            assert state.text_content() == "Sold out"
            choose("S")
            assert state.text_content() == "In stock" and not page.locator("[data-add-button]").is_disabled()
            assert first_image.get_attribute("data-image-id") == black
            assert "variant=" in page.url

            page.fill("#quantity", "2")
            page.click("[data-add-button]")
            page.wait_for_function(
                "document.querySelector('[data-cart-status]').textContent.includes('Added')"
            )
            assert page.locator("[data-cart-count]").text_content().endswith("2")
            cart_token = page.evaluate("localStorage.getItem('shop.cart.token')")
            cart = httpx.get(f"{origin}/api/v1/carts/{cart_token}", timeout=5).json()
            assert [(line["sku"], line["quantity"]) for line in cart["lines"]] == [("TEE-B-S", 2)]
            assert errors == []
        finally:
            browser.close()


@contextmanager
def _page() -> Iterator[tuple[Any, list[str]]]:
    """A page in Debian's Chromium, and the script errors it raises."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            yield page, errors
        finally:
            browser.close()


def test_the_search_page_finds_a_product_and_links_to_its_page(served: str) -> None:
    """Pagefind's index, merged from its shards in the browser, answers with the product's
    own URL (the staged search documents have other names)."""
    with _page() as (page, errors):
        page.goto(f"{served}/search/?q=mug")
        link = page.locator("[data-search-results] h2 a").first
        link.wait_for(state="visible", timeout=15_000)
        assert link.text_content() == "Stoneware Mug"
        assert link.get_attribute("href") == "/products/stoneware-mug/"
        link.click()
        page.wait_for_url(f"{served}/products/stoneware-mug/")
        assert page.locator("h1").text_content() == "Stoneware Mug"
        assert errors == []


@pytest.fixture
def one_page_per_shard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "SHARD_PAGES", 1)


def test_the_search_page_merges_every_shard(one_page_per_shard: None, served: str) -> None:
    """With a shard for about every product, each product is found: every shard was merged."""
    with _page() as (page, errors):
        page.goto(f"{served}/search/")
        shards = (page.locator("[data-search]").get_attribute("data-shards") or "").split(",")
        assert len(shards) >= 2, shards  # the four products hash into at least two
        for word, title in [("mug", "Stoneware Mug"), ("poster", "Mountain Poster"), ("cap", "Canvas Cap")]:
            page.fill("[data-search-input]", word)
            link = page.locator("[data-search-results] h2 a", has_text=title)
            link.wait_for(state="visible", timeout=15_000)
        assert errors == []
