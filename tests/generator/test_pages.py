"""What the pages say: drafts never appear, sold-out states, structured data, sitemaps, feed."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from shop.config import Settings
from shop.generator.data import Catalog
from shop.generator.feeds import sitemap_files
from shop.generator.pages import Page, Site
from shop.generator.pipeline import build_site
from tests.generator.conftest import FixtureCatalog


def read(settings: Settings, path: str) -> str:
    return (settings.output_path / path).read_text()


def jsonld(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def every_text_file(settings: Settings) -> str:
    out = settings.output_path
    return "\n".join(
        p.read_text()
        for p in out.rglob("*")
        if p.suffix in (".html", ".xml", ".txt") and "pagefind" not in p.parts
    )


def test_drafts_and_archived_products_never_appear(settings: Settings, catalog: FixtureCatalog) -> None:
    build_site(settings, jobs=1)
    everything = every_text_file(settings)
    for word in (
        "Secret Draft",
        "secret-draft",
        "DRAFT-1",
        "Old Archived",
        "old-archived",
        "ARCH-1",
    ):
        assert word not in everything
    assert not (settings.output_path / "products/secret-draft").exists()
    # Only approved reviews are shown.
    tee = read(settings, "products/organic-tee/index.html")
    assert "Title 0" in tee and "Title 1" in tee and "Title 2" not in tee


def test_sold_out_backorder_and_low_stock(settings: Settings, catalog: FixtureCatalog) -> None:
    build_site(settings, jobs=1)
    mug = read(settings, "products/stoneware-mug/index.html")
    assert 'data-state="sold_out">Sold out</p>' in mug
    assert re.search(r"<button[^>]*data-add-button disabled>Sold out</button>", mug)
    poster = read(settings, "products/mountain-poster/index.html")
    assert 'data-state="backorder">Available on backorder' in poster
    assert re.search(r"<button[^>]*data-add-button>Add to cart</button>", poster)
    cap = read(settings, "products/canvas-cap/index.html")  # 2 left, threshold 3
    assert 'data-state="low_stock">Only a few left' in cap
    listing = read(settings, "categories/home-goods/index.html")
    mug_card = listing.split('href="/products/stoneware-mug/"')[1].split("</li>")[0]
    assert "Sold out" in mug_card
    poster_card = listing.split('href="/products/mountain-poster/"')[1].split("</li>")[0]
    assert "Sold out" not in poster_card
    # The tee has one sold-out variant of six: the page offers it, marked as sold out.
    tee = read(settings, "products/organic-tee/index.html")
    assert "White / L \u2013 €27.00 (sold out)" in tee
    assert 'data-state="in_stock">In stock' in tee


def test_product_json_ld_parses_and_describes_offers_rating_and_breadcrumb(
    settings: Settings, catalog: FixtureCatalog
) -> None:
    build_site(settings, jobs=1)
    product, breadcrumb = jsonld(read(settings, "products/organic-tee/index.html"))
    assert product["@type"] == "Product" and product["name"] == "Organic Tee"
    assert product["url"] == "http://shop.test/products/organic-tee/"
    assert product["brand"] == {"@type": "Brand", "name": "Fixture Co."}
    assert len(product["offers"]) == 6
    offer = {o["sku"]: o for o in product["offers"]}
    assert offer["TEE-B-S"]["price"] == "25.00" and offer["TEE-B-S"]["priceCurrency"] == "EUR"
    assert offer["TEE-B-S"]["availability"] == "https://schema.org/InStock"
    assert offer["TEE-W-L"]["availability"] == "https://schema.org/OutOfStock"
    assert product["aggregateRating"]["ratingValue"] == 4.5
    assert product["aggregateRating"]["reviewCount"] == 2
    assert all(url.startswith("http://shop.test/images/") for url in product["image"])
    assert [i["name"] for i in breadcrumb["itemListElement"]] == [
        "Home",
        "Apparel",
        "T-Shirts",
        "Organic Tee",
    ]
    assert breadcrumb["itemListElement"][1]["item"] == "http://shop.test/categories/apparel/"
    cap, _ = jsonld(read(settings, "products/canvas-cap/index.html"))
    assert cap["sku"] == "CAP-1" and cap["gtin"] == "4006381333931" and "aggregateRating" not in cap


def test_head_has_canonical_open_graph_and_pagination_links(
    settings: Settings, catalog: FixtureCatalog
) -> None:
    build_site(settings, jobs=1)
    tee = read(settings, "products/organic-tee/index.html")
    assert '<link rel="canonical" href="http://shop.test/products/organic-tee/">' in tee
    assert '<meta property="og:type" content="product">' in tee
    assert re.search(
        r'<meta property="og:image" content="http://shop.test/images/[0-9a-f]{2}/[0-9a-f]{64}-640\.jpg">',
        tee,
    )
    cart = read(settings, "cart/index.html")
    assert '<meta name="robots" content="noindex">' in cart
    # Sanitised descriptions: the script tag in a category description is gone.
    apparel = read(settings, "categories/apparel/index.html")
    assert "alert(1)" not in apparel and "Clothes we like." in apparel


def test_listing_pagination_has_rel_prev_next(settings: Settings, catalog: FixtureCatalog) -> None:
    store_theme = settings.themes_path / "small"
    store_theme.mkdir(parents=True)
    (store_theme / "theme.toml").write_text("[settings]\nproducts_per_page = 1\n")
    small = settings.model_copy(update={"theme": "small"})
    build_site(small, jobs=1)
    first = read(settings, "categories/home-goods/index.html")
    second = read(settings, "categories/home-goods/page/2/index.html")
    assert '<link rel="next" href="/categories/home-goods/page/2/">' in first
    assert 'rel="prev"' not in first.split("</head>")[0]
    assert '<link rel="prev" href="/categories/home-goods/">' in second
    assert 'aria-current="page">2</a>' in second


def test_images_have_srcset_sizes_dimensions_and_lazy_loading(
    settings: Settings, catalog: FixtureCatalog
) -> None:
    build_site(settings, jobs=1)
    tee = read(settings, "products/organic-tee/index.html")
    imgs = re.findall(r"<img [^>]+>", tee.split('id="reviews"')[0])
    assert len(imgs) == 2
    first, second = imgs
    assert 'fetchpriority="high"' in first and 'loading="lazy"' not in first
    assert 'loading="lazy"' in second
    assert 'width="640" height="457"' in first  # the 700x500 source, shown at 640
    assert re.search(r'srcset="[^"]+-320\.jpg 320w, [^"]+-640\.jpg 640w"', first)
    assert 'type="image/webp" srcset="' in tee and "sizes=" in first
    for url in re.findall(r'(/images/[^"<, ]+)', tee):
        assert (settings.output_path / url.lstrip("/")).is_file(), url


def test_feed_is_rss_with_google_namespace_one_item_per_variant(
    settings: Settings, catalog: FixtureCatalog
) -> None:
    build_site(settings, jobs=1)
    root = ET.fromstring((settings.output_path / "feeds/google-merchant.xml").read_bytes())
    g = "{http://base.google.com/ns/1.0}"
    items = root.findall("./channel/item")
    by_id = {i.findtext(f"{g}id"): i for i in items}
    assert len(items) == 6 + 3  # tee variants, mug, poster, cap
    assert by_id["TEE-B-S"].findtext(f"{g}price") == "30.00 EUR"
    assert by_id["TEE-B-S"].findtext(f"{g}sale_price") == "25.00 EUR"
    assert by_id["TEE-W-L"].findtext(f"{g}availability") == "out_of_stock"
    assert by_id["POSTER-1"].findtext(f"{g}availability") == "backorder"
    assert by_id["MUG-1"].findtext(f"{g}availability") == "out_of_stock"
    assert by_id["CAP-1"].findtext(f"{g}gtin") == "4006381333931"
    assert by_id["TEE-B-S"].findtext(f"{g}image_link").startswith("http://shop.test/images/")
    # Each variant's own picture; the sizes of one colour share it.
    skus = ("TEE-B-S", "TEE-B-L", "TEE-W-S", "TEE-W-M")
    link = {sku: by_id[sku].findtext(f"{g}image_link") for sku in skus}
    assert link["TEE-B-S"] == link["TEE-B-L"] != link["TEE-W-S"] == link["TEE-W-M"]


def test_sitemap_and_robots(settings: Settings, catalog: FixtureCatalog) -> None:
    build_site(settings, jobs=1)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ET.fromstring((settings.output_path / "sitemap.xml").read_bytes())
    locs = [e.text for e in root.findall("s:url/s:loc", ns)]
    assert "http://shop.test/" in locs and "http://shop.test/products/organic-tee/" in locs
    assert not any("/cart/" in u or "/checkout/" in u for u in locs)
    robots = read(settings, "robots.txt")
    assert "Sitemap: http://shop.test/sitemap.xml" in robots and "Disallow: /checkout/" in robots


def test_sitemap_becomes_an_index_above_the_limit() -> None:
    site = Site(
        Catalog({}, {}, [], []),
        site_url="https://x.test/shop",
        base="/shop",
        per_page=48,
        currency="EUR",
    )
    pages = [
        Page(
            path=f"p{n}/index.html",
            template="t",
            key="",
            context=dict,
            url=f"/shop/p{n}/",
            lastmod=datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
        )
        for n in range(7)
    ]
    assert set(sitemap_files(site, pages, limit=7)) == {"sitemap.xml"}
    files = sitemap_files(site, pages, limit=3)
    assert set(files) == {"sitemap.xml", "sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml"}
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    index = ET.fromstring(files["sitemap.xml"])
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    assert [e.text for e in index.findall("s:sitemap/s:loc", ns)] == [
        f"https://x.test/shop/sitemap-{n}.xml" for n in (1, 2, 3)
    ]
    counts = [len(ET.fromstring(files[f"sitemap-{n}.xml"]).findall("s:url", ns)) for n in (1, 2, 3)]
    assert counts == [3, 3, 1]
    assert ET.fromstring(files["sitemap-1.xml"]).find("s:url/s:loc", ns).text == "https://x.test/shop/p0/"


def test_assets_are_fingerprinted_and_referenced(settings: Settings, catalog: FixtureCatalog) -> None:
    build_site(settings, jobs=1)
    home = read(settings, "index.html")
    css = re.search(r'href="/assets/css/site\.([0-9a-f]{10})\.css"', home)
    js = re.search(r'src="/assets/js/shop\.([0-9a-f]{10})\.js"', home)
    assert css and js
    assert (settings.output_path / f"assets/css/site.{css.group(1)}.css").is_file()
    assert "https://" not in home.replace("http://shop.test", "").split("<body")[0].replace(
        'content="https://', ""
    )  # no third-party host in the head


def test_the_home_page_describes_the_store(settings: Settings, catalog: FixtureCatalog) -> None:
    build_site(settings.model_copy(update={"store_description": "Organic tees & mugs from Berlin."}), jobs=1)
    home = (settings.output_path / "index.html").read_text()
    assert '<meta name="description" content="Organic tees &amp; mugs from Berlin.">' in home


def test_a_listing_without_a_description_still_describes_itself(
    settings: Settings, catalog: FixtureCatalog
) -> None:
    build_site(settings, jobs=1)
    listing = (settings.output_path / "categories/home-goods/index.html").read_text()
    # Homeware has no description of its own: mug and poster are its active products.
    assert '<meta name="description" content="Homeware: 2 products.">' in listing
