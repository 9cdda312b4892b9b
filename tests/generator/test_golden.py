"""Golden files: the fixture catalog's pages, byte for byte, with volatile bits normalised.

After an intended change to templates or page models, regenerate them with
`SHOP_UPDATE_GOLDEN=1 pytest tests/generator/test_golden.py` and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from shop.config import Settings
from shop.generator.pipeline import build_site
from tests.generator.conftest import FixtureCatalog

GOLDEN = Path(__file__).parent / "golden"
PAGES = [
    "index.html",
    "products/organic-tee/index.html",
    "products/stoneware-mug/index.html",
    "categories/apparel/index.html",
    "collections/staff-picks/index.html",
    "cart/index.html",
    "sitemap.xml",
    "robots.txt",
    "feeds/google-merchant.xml",
]


def normalise(text: str) -> str:
    text = re.sub(r"[0-9a-f]{64}", "<sha256>", text)  # image names: bytes differ by Pillow version
    text = re.sub(r"\.[0-9a-f]{10}\.(css|js)", r".<hash>.\1", text)  # asset fingerprints
    return re.sub(r"<lastmod>[^<]+</lastmod>", "<lastmod>…</lastmod>", text)  # row timestamps


@pytest.mark.parametrize("page", PAGES)
def test_page_matches_golden_file(settings: Settings, catalog: FixtureCatalog, page: str) -> None:
    build_site(settings, jobs=1)
    actual = normalise((settings.output_path / page).read_text())
    golden = GOLDEN / (page.replace("/", "__"))
    if os.environ.get("SHOP_UPDATE_GOLDEN"):
        golden.write_text(actual)
    assert golden.exists(), f"{golden} missing: run with SHOP_UPDATE_GOLDEN=1 to create it"
    assert actual == golden.read_text()
