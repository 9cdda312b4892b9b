"""Incremental builds: exactly what changed is written, removed pages go, nothing half-written."""

from __future__ import annotations

import gc
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select

from shop.config import Settings
from shop.core.catalog.models import Product, ProductStatus, Variant
from shop.core.db import make_session_factory, unit_of_work
from shop.generator import feeds, writer
from shop.generator.manifest import Manifest, manifest_path
from shop.generator.pipeline import build_site
from shop.generator.templating import BuildError
from tests.generator.conftest import FixtureCatalog


def manifest(settings: Settings) -> Manifest:
    return Manifest.load(manifest_path(settings.dir, settings.output_path, settings.output_path))


def changed(before: Manifest, after: Manifest) -> set[str]:
    names = set(before.files) | set(after.files)
    return {n for n in names if before.files.get(n, {}).get("sha256") != after.files.get(n, {}).get("sha256")}


def test_first_build_writes_every_page_and_the_manifest_lists_every_file(
    settings: Settings, catalog: FixtureCatalog
) -> None:
    out = settings.output_path
    assert not out.exists()  # built beside, then moved into place
    summary = build_site(settings, jobs=1)
    assert not list(out.parent.glob(f".{out.name}.building-*"))
    assert summary.pages_written > 10 and summary.pages_unchanged == 0
    assert summary.images_written == 2 and summary.search_indexed
    listed = manifest(settings).files
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert on_disk == set(listed)
    for name in (
        "index.html",
        "products/organic-tee/index.html",
        "sitemap.xml",
        "robots.txt",
        "feeds/google-merchant.xml",
        "404.html",
        "pagefind/0/pagefind.js",
    ):
        assert name in listed
        assert listed[name]["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
        assert listed[name]["size"] == (out / name).stat().st_size
    # The manifest lives beside, not inside, the output folder.
    assert not any(name.endswith("manifest.json") for name in listed)
    assert (settings.dir / ".shop" / "build-manifest.json").exists()


def test_every_build_hands_what_it_froze_back_to_the_collector(
    settings: Settings, catalog: FixtureCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catalog and the pages are frozen while a build runs, so that no collection walks
    them; a long-running process (the preview) must get them back after every build, a no-op
    and a failed one included, or it would keep each build's catalog for ever."""
    build_site(settings, jobs=1)
    assert gc.get_freeze_count() == 0
    build_site(settings, jobs=1)  # nothing changed
    assert gc.get_freeze_count() == 0

    def broken(*args: object, **kwargs: object) -> bytes:
        raise BuildError("robots.txt: broken on purpose")

    monkeypatch.setattr(feeds, "robots_txt", broken)  # made after the pages render
    with pytest.raises(BuildError, match="on purpose"):
        build_site(settings, jobs=1, full=True)
    assert gc.get_freeze_count() == 0


def test_nothing_changed_writes_nothing(settings: Settings, catalog: FixtureCatalog) -> None:
    build_site(settings, jobs=1)
    before = manifest(settings)
    mtimes = {p: p.stat().st_mtime_ns for p in settings.output_path.rglob("*") if p.is_file()}
    summary = build_site(settings, jobs=1)
    assert summary.pages_written == 0 and summary.pages_deleted == 0 and summary.images_written == 0
    assert not summary.search_indexed
    assert summary.pages_unchanged == len(before.pages)
    assert {p: p.stat().st_mtime_ns for p in settings.output_path.rglob("*") if p.is_file()} == mtimes


def test_editing_one_product_changes_exactly_its_page_listings_sitemap_feed_and_index(
    settings: Settings, catalog: FixtureCatalog, engine: Engine
) -> None:
    build_site(settings, jobs=1)
    before = manifest(settings)
    with unit_of_work(make_session_factory(engine)) as s:
        s.get_one(Product, catalog.cap).title = "Waxed Canvas Cap"
    summary = build_site(settings, jobs=1)
    after = manifest(settings)
    touched = changed(before, after)
    pages = {n for n in touched if n.endswith(".html")}
    # The cap is in Apparel only, and among the home page's new arrivals; no other product
    # lists it as related (the tee's own category, T-Shirts, holds only the tee).
    assert pages == {
        "products/canvas-cap/index.html",
        "categories/apparel/index.html",
        "index.html",
    }
    assert "categories/t-shirts/index.html" not in pages
    assert "categories/home-goods/index.html" not in pages
    assert "collections/staff-picks/index.html" not in pages
    assert {"sitemap.xml", "feeds/google-merchant.xml"} <= touched
    assert any(n.startswith("pagefind/") for n in touched)
    assert not {n for n in touched if n.startswith(("assets/", "images/"))}
    assert summary.pages_written == len(pages) and summary.search_indexed
    assert "Waxed Canvas Cap" in (settings.output_path / "products/canvas-cap/index.html").read_text()


def test_a_stock_change_rewrites_only_that_product_and_the_cards_showing_it(
    settings: Settings, catalog: FixtureCatalog, engine: Engine
) -> None:
    from shop.core.inventory.models import StockLevel

    build_site(settings, jobs=1)
    before = manifest(settings)
    with unit_of_work(make_session_factory(engine)) as s:
        level = s.scalars(select(StockLevel).join(Variant).where(Variant.sku == "MUG-1")).one()
        level.on_hand = 5
    build_site(settings, jobs=1)
    pages = {n for n in changed(before, manifest(settings)) if n.endswith(".html")}
    assert "products/stoneware-mug/index.html" in pages
    assert "categories/home-goods/index.html" in pages  # its card loses the sold-out badge
    assert "products/organic-tee/index.html" not in pages
    assert "categories/t-shirts/index.html" not in pages
    html = (settings.output_path / "products/stoneware-mug/index.html").read_text()
    assert "Sold out" not in html.split('id="reviews"')[0]


def test_removing_a_product_deletes_its_page(
    settings: Settings, catalog: FixtureCatalog, engine: Engine
) -> None:
    build_site(settings, jobs=1)
    assert (settings.output_path / "products/stoneware-mug/index.html").exists()
    with unit_of_work(make_session_factory(engine)) as s:
        s.execute(delete(Product).where(Product.id == catalog.mug))
    summary = build_site(settings, jobs=1)
    assert summary.pages_deleted == 1
    assert not (settings.output_path / "products/stoneware-mug").exists()
    assert "products/stoneware-mug/index.html" not in manifest(settings).files
    assert "stoneware-mug" not in (settings.output_path / "sitemap.xml").read_text()
    # Archiving removes the page as well.
    with unit_of_work(make_session_factory(engine)) as s:
        s.get_one(Product, catalog.poster).status = ProductStatus.ARCHIVED
    assert build_site(settings, jobs=1).pages_deleted == 1
    assert not (settings.output_path / "products/mountain-poster/index.html").exists()


def test_full_ignores_the_manifest_but_reuses_derived_images(
    settings: Settings, catalog: FixtureCatalog
) -> None:
    build_site(settings, jobs=1)
    summary = build_site(settings, jobs=1, full=True)
    assert summary.pages_unchanged + summary.pages_written == len(manifest(settings).pages)
    assert summary.images_written == 0 and summary.images_reused == 2
    assert summary.search_indexed


def test_a_full_build_into_a_fresh_folder_leaves_unchanged_search_documents_unwritten(
    settings: Settings, catalog: FixtureCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rewriting a file frees its blocks, which some disks pay for there and then; the
    search documents a `--full` build makes again are mostly what is already staged."""
    build_site(settings, jobs=1)
    stage = settings.dir / ".shop" / "search"
    staged = {p: p.read_bytes() for p in stage.rglob("*.html")}
    assert staged
    settings.output_path.rename(settings.dir / "old-site")  # the next build makes a fresh folder
    write = writer._write  # what every page, document and staged file is written with

    def pages_only(path: str, data: bytes) -> None:
        assert stage not in Path(path).parents, f"{path} written again"
        write(path, data)

    monkeypatch.setattr(writer, "_write", pages_only)
    summary = build_site(settings, jobs=1, full=True)
    assert summary.search_indexed and (settings.output_path / "pagefind/0/pagefind.js").exists()
    assert {p: p.read_bytes() for p in stage.rglob("*.html")} == staged


def test_a_deleted_output_file_is_restored(settings: Settings, catalog: FixtureCatalog) -> None:
    build_site(settings, jobs=1)
    target = settings.output_path / "products/canvas-cap/index.html"
    target.unlink()
    summary = build_site(settings, jobs=1)
    assert summary.pages_written == 1 and target.exists()


def test_other_output_folder_gets_its_own_manifest(
    settings: Settings, catalog: FixtureCatalog, tmp_path: Path
) -> None:
    other = tmp_path / "elsewhere"
    summary = build_site(settings, out=other, jobs=1)
    assert summary.pages_written > 0 and (other / "index.html").exists()
    path = manifest_path(settings.dir, other, settings.output_path)
    assert path.parent == settings.dir / ".shop" and path.name != "build-manifest.json"
    assert set(json.loads(path.read_text())["files"]) == {
        p.relative_to(other).as_posix() for p in other.rglob("*") if p.is_file()
    }


def test_rendering_in_a_process_pool_gives_the_same_bytes(
    settings: Settings, catalog: FixtureCatalog, tmp_path: Path, monkeypatch
) -> None:
    from shop.generator import render

    monkeypatch.setattr(render, "POOL_THRESHOLD", 1)
    monkeypatch.setattr(render, "CHUNK", 3)
    build_site(settings, jobs=1)
    single = manifest(settings).files
    other = tmp_path / "pooled"
    build_site(settings, out=other, jobs=2)
    pooled = Manifest.load(manifest_path(settings.dir, other, settings.output_path)).files
    html = {n for n in single if n.endswith(".html")}
    assert {n: single[n]["sha256"] for n in html} == {n: pooled[n]["sha256"] for n in html}


def test_images_are_made_in_worker_processes_and_reused(settings: Settings, catalog: FixtureCatalog) -> None:
    summary = build_site(settings, jobs=2)
    assert summary.images_written == 2
    made = sorted(p.name for p in (settings.output_path / "images").rglob("*") if p.is_file())
    assert len(made) == 2 * 2 * 2  # two sources, 320 and 640 wide, WebP and JPEG
    from PIL import Image

    for name in made:
        with Image.open(next((settings.output_path / "images").rglob(name))) as image:
            assert image.width == int(name.rsplit("-", 1)[1].split(".")[0])
            assert image.format == ("WEBP" if name.endswith(".webp") else "JPEG")
    again = build_site(settings, out=settings.dir / "second", jobs=2)
    assert again.images_written == 0 and again.images_reused == 2


def test_search_shards_reindex_only_where_searchable_text_changed(
    settings: Settings, catalog: FixtureCatalog, engine: Engine, monkeypatch
) -> None:
    from shop.generator import search

    monkeypatch.setattr(search, "SHARD_PAGES", 1)  # four products, four shards
    build_site(settings, jobs=2)
    before = manifest(settings)
    products = ["organic-tee", "stoneware-mug", "mountain-poster", "canvas-cap"]
    expected = sorted({search.shard_of(f"products/{p}/index.html", 4) for p in products})
    shards = sorted({int(n.split("/")[1]) for n in before.files if n.startswith("pagefind/")})
    assert shards == expected and len(expected) > 1
    search_page = (settings.output_path / "search/index.html").read_text()
    assert f'data-shards="{",".join(map(str, expected))}"' in search_page
    cap_shard = str(search.shard_of("products/canvas-cap/index.html", 4))

    with unit_of_work(make_session_factory(engine)) as s:
        s.get_one(Product, catalog.cap).title = "Waxed Canvas Cap"
    assert build_site(settings, jobs=2).search_indexed
    touched = {n.split("/")[1] for n in changed(before, manifest(settings)) if n.startswith("pagefind/")}
    assert touched == {cap_shard}
    on_disk = {
        p.relative_to(settings.output_path).as_posix()
        for p in (settings.output_path / "pagefind").rglob("*")
        if p.is_file()
    }
    assert on_disk == {n for n in manifest(settings).files if n.startswith("pagefind/")}


def test_a_new_store_description_rebuilds_the_home_page(settings: Settings, catalog: FixtureCatalog) -> None:
    build_site(settings, jobs=1)
    again = build_site(settings.model_copy(update={"store_description": "Now with mugs."}), jobs=1)
    assert again.pages_written >= 1
    assert 'content="Now with mugs."' in (settings.output_path / "index.html").read_text()


def test_an_incremental_feed_equals_one_made_from_scratch(
    settings: Settings, catalog: FixtureCatalog, engine: Engine
) -> None:
    build_site(settings, jobs=1)
    feed = settings.output_path / "feeds/google-merchant.xml"
    with unit_of_work(make_session_factory(engine)) as s:
        s.get_one(Product, catalog.mug).title = "Speckled Mug"
    build_site(settings, jobs=1)  # copies the unchanged products' items from the last feed
    assert "Speckled Mug" in feed.read_text()
    scratch = settings.dir / "scratch"
    build_site(settings, out=scratch, jobs=1, full=True)
    assert feed.read_bytes() == (scratch / "feeds/google-merchant.xml").read_bytes()
    # A feed file changed behind the build's back is never copied from.
    feed.write_bytes(feed.read_bytes().replace(b"Organic Tee", b"Organic Tea"))
    with unit_of_work(make_session_factory(engine)) as s:
        s.get_one(Product, catalog.mug).title = "Plain Mug"
    build_site(settings, jobs=1)
    assert b"Organic Tea" not in feed.read_bytes() and b"Plain Mug" in feed.read_bytes()
