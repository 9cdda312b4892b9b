"""The files for machines: sitemap (an index over 50,000 URLs), robots.txt, the Google
Merchant product feed (RSS 2.0 with the `g:` namespace)."""

from __future__ import annotations

import hashlib
import html
import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import nh3

from shop.core.money import Money
from shop.generator.data import ProductData
from shop.generator.images import image_set
from shop.generator.pages import Page, Site

SITEMAP_LIMIT = 50_000
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
FEED_PATH = "feeds/google-merchant.xml"
FEED_AVAILABILITY = {
    "in_stock": "in_stock",
    "low_stock": "in_stock",
    "backorder": "backorder",
    "sold_out": "out_of_stock",
}


def sitemap_files(site: Site, pages: list[Page], *, limit: int = SITEMAP_LIMIT) -> dict[str, bytes]:
    """`sitemap.xml`, or when there are more than `limit` URLs an index over `sitemap-N.xml`."""
    entries = [
        f"<url><loc>{escape(site.absolute(p.url))}</loc>"
        + (f"<lastmod>{p.lastmod}</lastmod>" if p.lastmod else "")
        + "</url>"
        for p in pages
        if p.sitemap
    ]

    def urlset(chunk: list[str]) -> bytes:
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
            + "\n".join(chunk)
            + "\n</urlset>\n"
        ).encode()

    if len(entries) <= limit:
        return {"sitemap.xml": urlset(entries)}
    files: dict[str, bytes] = {}
    for number, start in enumerate(range(0, len(entries), limit), start=1):
        files[f"sitemap-{number}.xml"] = urlset(entries[start : start + limit])
    index = "\n".join(
        f"<sitemap><loc>{escape(site.absolute(f'{site.base}/{name}'))}</loc></sitemap>" for name in files
    )
    files["sitemap.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
        f"{index}\n</sitemapindex>\n"
    ).encode()
    return files


def robots_txt(site: Site) -> bytes:
    disallow = "".join(f"Disallow: {site.base}/{p}/\n" for p in ("cart", "checkout", "account", "order"))
    return (f"User-agent: *\n{disallow}\nSitemap: {site.absolute(f'{site.base}/sitemap.xml')}\n").encode()


def merchant_feed(site: Site, *, title: str, cache: dict[str, list[str]] | None = None) -> bytes:
    """One <item> per variant, grouped by product, as Google Merchant Center reads it."""
    return "".join(merchant_feed_chunks(site, title=title, cache={} if cache is None else cache)).encode()


def merchant_feed_chunks(site: Site, *, title: str, cache: dict[str, list[str]]) -> Iterator[str]:
    """The feed in pieces, so that a large one is never held whole in memory.

    `cache` maps "<product id>:<page key>" to that product's items; reused entries are not
    rendered again, and once the feed is consumed it holds exactly this feed's entries."""
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n<channel>\n'
        f"<title>{escape(title)}</title>\n<link>{escape(site.absolute(f'{site.base}/'))}</link>\n"
        f"<description>{escape(title)} products</description>\n"
    )
    fresh: dict[str, list[str]] = {}
    for product in site.catalog.products.values():
        key = f"{product.id}:{product.page_key}"
        items = fresh[key] = cache.get(key) or _items(site, product)
        if items:
            yield "\n".join(items) + "\n"
    cache.clear()
    cache.update(fresh)
    yield "</channel>\n</rss>\n"


def stage_merchant_feed(
    target: Path, site: Site, *, title: str, cache_file: Path, cache_key: str | None
) -> tuple[Path, str, int]:
    """Write the feed to a temporary file beside `target`; returns (file, sha256, size).

    Per-product items are kept in `cache_file` between builds (valid while `cache_key`, the
    settings' hash, is the same; None starts afresh), so after one edit only that
    product's items are made again."""
    cache: dict[str, list[str]] = {}
    if cache_key is not None:
        try:
            with open(cache_file, "rb") as handle:
                stored = pickle.load(handle)
            if stored.get("key") == cache_key:
                cache = stored["items"]
        except (OSError, ValueError, KeyError, pickle.UnpicklingError, EOFError):
            cache = {}
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    size = 0
    with open(tmp, "wb") as handle:
        for chunk in merchant_feed_chunks(site, title=title, cache=cache):
            data = chunk.encode()
            digest.update(data)
            size += len(data)
            handle.write(data)
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    cache_tmp = cache_file.with_name(f".{cache_file.name}.{os.getpid()}.tmp")
    with open(cache_tmp, "wb") as handle:
        pickle.dump({"key": cache_key, "items": cache}, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(cache_tmp, cache_file)
    return tmp, digest.hexdigest(), size


def _items(site: Site, product: ProductData) -> list[str]:
    items: list[str] = []
    url = site.absolute(site.product_url(product))
    text = html.unescape(nh3.clean(product.description, tags=set())).strip() or product.title
    by_id = {i.id: i for i in product.images}
    for variant in product.variants:
        image = by_id.get(variant.image_id or 0) or product.image
        fields = [
            ("g:id", variant.sku),
            ("g:item_group_id", str(product.id)),
            (
                "title",
                product.title if len(product.variants) == 1 else f"{product.title} \u2013 {variant.title}",
            ),
            ("description", text[:5000]),
            ("link", f"{url}?variant={variant.id}"),
            ("g:availability", FEED_AVAILABILITY[variant.state]),
            ("g:condition", "new"),
        ]
        if image:
            fields.append(("g:image_link", site.absolute(image_set(image, site.base).large)))
        if variant.compare_at_price and variant.compare_at_price > variant.price:
            fields.append(("g:price", str(Money(variant.compare_at_price, site.currency))))
            fields.append(("g:sale_price", str(Money(variant.price, site.currency))))
        else:
            fields.append(("g:price", str(Money(variant.price, site.currency))))
        if product.vendor:
            fields.append(("g:brand", product.vendor))
        if variant.barcode:
            fields.append(("g:gtin", variant.barcode))
        else:
            fields.append(("g:identifier_exists", "no"))
        if product.product_type:
            fields.append(("g:product_type", product.product_type))
        if variant.weight_grams:
            fields.append(("g:shipping_weight", f"{variant.weight_grams} g"))
        items.append("<item>" + "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields) + "</item>")
    return items
