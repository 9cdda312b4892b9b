"""The files for machines: sitemap (an index over 50,000 URLs), robots.txt, the Google
Merchant product feed (RSS 2.0 with the `g:` namespace)."""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

from shop.core.money import Money, exponent
from shop.generator.data import ProductData
from shop.generator.images import image_set
from shop.generator.pages import Page, Site, plain_text
from shop.generator.writer import replace_if_changed

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


def merchant_feed(site: Site, *, title: str) -> bytes:
    """One <item> per variant, grouped by product, as Google Merchant Center reads it."""
    return b"".join(
        piece if isinstance(piece, bytes) else b""
        for piece in _feed_pieces(site, title=title, reuse={}, keys=[])
    )


def _feed_pieces(
    site: Site, *, title: str, reuse: dict[str, tuple[int, int]], keys: list[str]
) -> Iterator[bytes | tuple[str, int, int]]:
    """The feed as bytes, or (key, offset, length) for a product whose items can be copied
    from the previous feed file; `keys` receives each product's key in feed order."""
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n<channel>\n'
        f"<title>{escape(title)}</title>\n<link>{escape(site.absolute(f'{site.base}/'))}</link>\n"
        f"<description>{escape(title)} products</description>\n"
    ).encode()
    for product in site.catalog.products.values():
        key = f"{product.id}:{product.page_key}"
        keys.append(key)
        span = reuse.get(key)
        if span is not None:
            yield (key, *span)
            continue
        items = _items(site, product)
        yield ("\n".join(items) + "\n").encode() if items else b""
    yield b"</channel>\n</rss>\n"


def stage_merchant_feed(
    target: Path,
    site: Site,
    *,
    title: str,
    cache_file: Path,
    cache_key: str | None,
    previous: dict[str, object] | None,
) -> tuple[Path, str, int]:
    """Write the feed to a temporary file beside `target`; returns (file, sha256, size).

    `cache_file` records where each product's items lie in the feed last written (valid
    while `cache_key`, the settings' hash, is the same; None starts afresh). When the feed
    on disk is still that one (its sha256 and size match `previous`, the manifest's entry),
    the items of every unchanged product are copied from it in long runs instead of being
    made again, so after one edit only that product's items are rendered."""
    spans: dict[str, tuple[int, int]] = {}
    if cache_key is not None and previous:
        try:
            with open(cache_file, "rb") as handle:
                stored = pickle.load(handle)
            if stored.get("key") == cache_key and stored.get("sha256") == previous.get("sha256"):
                spans = stored["spans"]
        except (OSError, ValueError, KeyError, pickle.UnpicklingError, EOFError):
            spans = {}
    old = _open_verified(target, previous) if spans else None
    if old is None:
        spans = {}
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    size = 0
    keys: list[str] = []
    written: dict[str, tuple[int, int]] = {}
    run: list[int] = []  # [offset, length] of old bytes still to copy

    def emit(data: bytes) -> None:
        nonlocal size
        digest.update(data)
        sink.write(data)
        size += len(data)

    def flush() -> None:
        if run and old is not None:
            old.seek(run[0])
            left = run[1]
            while left:
                data = old.read(min(left, 1 << 20))
                if not data:
                    raise OSError(f"{target}: shorter than recorded")
                emit(data)
                left -= len(data)
        run.clear()

    try:
        with open(tmp, "wb") as sink:
            for piece in _feed_pieces(site, title=title, reuse=spans, keys=keys):
                if isinstance(piece, bytes):
                    flush()
                    if keys and keys[-1] not in written:
                        written[keys[-1]] = (size, len(piece))
                    emit(piece)
                    continue
                key, offset, length = piece
                written[key] = (size + (run[1] if run else 0), length)
                if run and run[0] + run[1] == offset:
                    run[1] += length
                else:
                    flush()
                    run[:] = [offset, length]
            flush()
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if old is not None:
            old.close()
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    sha = digest.hexdigest()
    # Unchanged after a build that changed no product's place in the feed (a no-op, a
    # `--full` build of the same catalog): left as it is rather than replaced (0.3 s seen).
    replace_if_changed(
        cache_file,
        pickle.dumps({"key": cache_key, "sha256": sha, "spans": written}, protocol=pickle.HIGHEST_PROTOCOL),
    )
    return tmp, sha, size


def _open_verified(target: Path, previous: dict[str, object] | None) -> BinaryIO | None:
    """The previous feed, open for reading, if its bytes are what the manifest recorded."""
    if not previous:
        return None
    try:
        handle = open(target, "rb")  # noqa: SIM115 - returned open
    except OSError:
        return None
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    if digest.hexdigest() != previous.get("sha256"):
        handle.close()
        return None
    return handle


def _items(site: Site, product: ProductData) -> list[str]:
    items: list[str] = []
    url = site.absolute(site.product_url(product))
    text = plain_text(product.description) or product.title
    by_id = {i.id: i for i in product.images}
    # What every variant of the product shares is escaped once (the description is long).
    group = f"<g:item_group_id>{product.id}</g:item_group_id>"
    description = f"<description>{escape(text[:5000])}</description>"
    brand = f"<g:brand>{escape(product.vendor)}</g:brand>" if product.vendor else ""
    ptype = f"<g:product_type>{escape(product.product_type)}</g:product_type>" if product.product_type else ""
    single = len(product.variants) == 1
    price = _price_formatter(site.currency)
    for variant in product.variants:
        image = by_id.get(variant.image_id or 0) or product.image
        title = product.title if single else f"{product.title} \u2013 {variant.title}"
        parts = [
            f"<item><g:id>{escape(variant.sku)}</g:id>",
            group,
            f"<title>{escape(title)}</title>",
            description,
            f"<link>{escape(f'{url}?variant={variant.id}')}</link>",
            f"<g:availability>{FEED_AVAILABILITY[variant.state]}</g:availability>",
            "<g:condition>new</g:condition>",
        ]
        if image:
            parts.append(
                f"<g:image_link>{escape(site.absolute(image_set(image, site.base).large))}</g:image_link>"
            )
        if variant.compare_at_price and variant.compare_at_price > variant.price:
            parts.append(f"<g:price>{price(variant.compare_at_price)}</g:price>")
            parts.append(f"<g:sale_price>{price(variant.price)}</g:sale_price>")
        else:
            parts.append(f"<g:price>{price(variant.price)}</g:price>")
        parts.append(brand)
        if variant.barcode:
            parts.append(f"<g:gtin>{escape(variant.barcode)}</g:gtin>")
        else:
            parts.append("<g:identifier_exists>no</g:identifier_exists>")
        parts.append(ptype)
        if variant.weight_grams:
            parts.append(f"<g:shipping_weight>{variant.weight_grams} g</g:shipping_weight>")
        parts.append("</item>")
        items.append("".join(parts))
    return items


def _price_formatter(currency: str) -> Callable[[int], str]:
    """`str(Money(amount, currency))` (e.g. "12.50 EUR"), escaped, without a Money per price."""
    sample = Money(1, currency)
    exp = exponent(currency)
    suffix = escape(f" {sample.currency}")
    if exp == 0:
        return lambda amount: f"{amount}{suffix}"
    scale = 10**exp
    return lambda amount: (
        f"{'-' if amount < 0 else ''}{abs(amount) // scale}.{abs(amount) % scale:0{exp}d}{suffix}"
    )
