"""Export the catalog as a Shopify product CSV that `import_products` reads back unchanged.

One row per variant, and more rows for images beyond the variant count, as Shopify
writes it; product fields only on a product's first row. Products come by handle,
variants and images by position, so the same catalog always gives the same bytes.
Products are read in batches, so memory stays flat however large the catalog.
"""

from __future__ import annotations

import csv
import gc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shop.config import Settings
from shop.core import models as _all_models  # noqa: F401  (every mapper, for foreign keys)
from shop.core.bulk import gc_paused
from shop.core.catalog import csv_format as f
from shop.core.catalog.models import (
    Product,
    ProductImage,
    ProductOption,
    ProductOptionValue,
    Variant,
)
from shop.core.inventory.models import Location, StockLevel
from shop.core.inventory.stocktake import first_location
from shop.core.money import Money

BATCH = 200


def media_base_url(settings: Settings) -> str:
    """Where uploaded images are served; exports name them by URLs under it, and imports
    given the same base recognise those URLs as the images they came from."""
    return f"{settings.site_url}/media"


@dataclass(frozen=True, slots=True)
class ExportResult:
    products: int
    variants: int
    images: int
    rows: int


def export_products(
    session: Session,
    out: IO[str],
    *,
    currency: str,
    media_base_url: str,
    product_ids: Sequence[int] | None = None,
) -> ExportResult:
    """Write the products (all, or `product_ids`) to the text stream `out`.

    Give it a session of its own: loaded products are detached batch by batch.

    `media_base_url` turns an uploaded image's file into a URL (`{base}/{file}`); import
    given the same base recognises those URLs as the images they came from.
    """
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(f.EXPORT_COLUMNS)
    location = first_location(session, create=False)
    base = media_base_url.rstrip("/")
    totals = [0, 0, 0, 0]  # products, variants, images, rows
    last: str | None = ""
    with gc_paused():
        while last is not None:
            last = _write_batch(
                session,
                writer,
                totals,
                after=last,
                product_ids=product_ids,
                currency=currency,
                base=base,
                location=location,
            )
            gc.collect(0)  # the finished batch's cycles; it was detached and is unreferenced
    products, variants, images, rows = totals
    return ExportResult(products=products, variants=variants, images=images, rows=rows)


def _write_batch(
    session: Session,
    writer: Any,
    totals: list[int],
    *,
    after: str,
    product_ids: Sequence[int] | None,
    currency: str,
    base: str,
    location: Location | None,
) -> str | None:
    """Write the next batch of products after the handle `after`; its last handle, or None
    when there were none left."""
    query = (
        select(Product)
        .where(Product.slug > after)
        .order_by(Product.slug)
        .limit(BATCH)
        .options(
            selectinload(Product.options).selectinload(ProductOption.values),
            selectinload(Product.variants)
            .selectinload(Variant.option_values)
            .joinedload(ProductOptionValue.option),
            selectinload(Product.images),
        )
    )
    if product_ids is not None:
        query = query.where(Product.id.in_(list(product_ids)))
    batch = list(session.scalars(query))
    if not batch:
        return None
    stock = _on_hand(session, [v.id for p in batch for v in p.variants], location)
    for product in batch:
        for row in _rows(product, currency, base, stock):
            writer.writerow([row.get(column, "") for column in f.EXPORT_COLUMNS])
            totals[3] += 1
        totals[0] += 1
        totals[1] += len(product.variants)
        totals[2] += len(product.images)
        session.expunge(product)  # keep memory flat on large catalogs
    return batch[-1].slug


def _on_hand(session: Session, variant_ids: list[int], location: Location | None) -> dict[int, int]:
    if location is None or not variant_ids:
        return {}
    rows = session.execute(
        select(StockLevel.variant_id, StockLevel.on_hand).where(
            StockLevel.variant_id.in_(variant_ids), StockLevel.location_id == location.id
        )
    )
    return {variant_id: on_hand for variant_id, on_hand in rows}


def _bool(value: bool) -> str:
    return "TRUE" if value else "FALSE"


def _image_url(image: ProductImage, base: str) -> str:
    return image.source_url or f"{base}/{image.file}"


def _rows(product: Product, currency: str, base: str, stock: dict[int, int]) -> Iterator[dict[str, str]]:
    variants = sorted(product.variants, key=lambda v: (v.position, v.id))
    images = sorted(product.images, key=lambda i: (i.position, i.id))
    options = sorted(product.options, key=lambda o: o.position)
    first: dict[str, str] = {
        f.HANDLE: product.slug,
        f.TITLE: product.title,
        f.BODY: product.description,
        f.VENDOR: product.vendor,
        f.TYPE: product.product_type,
        f.TAGS: product.tags,
        f.PUBLISHED: _bool(product.published_at is not None),
        f.SEO_TITLE: product.seo_title,
        f.SEO_DESCRIPTION: product.seo_description,
        f.STATUS: product.status.value,
    }
    for position, option in enumerate(options):
        first[f.OPTION_NAMES[position]] = option.name
    if not options and variants:
        first[f.OPTION_NAMES[0]] = f.DEFAULT_OPTION_NAME
    variant_image = {v.id: _image_url(v.image, base) for v in variants if v.image is not None}
    for index in range(max(1, len(variants), len(images))):
        row = first if index == 0 else {f.HANDLE: product.slug}
        if index < len(variants):
            row.update(_variant(variants[index], options, currency, stock, variant_image))
        if index < len(images):
            image = images[index]
            row.update(
                {
                    f.IMAGE_SRC: _image_url(image, base),
                    f.IMAGE_POSITION: str(index + 1),
                    f.IMAGE_ALT: image.alt,
                }
            )
        yield row


def _variant(
    variant: Variant,
    options: list[ProductOption],
    currency: str,
    stock: dict[int, int],
    variant_image: dict[int, str],
) -> dict[str, str]:
    by_option = {value.option_id: value.value for value in variant.option_values}
    row = {
        f.SKU: variant.sku,
        f.GRAMS: str(variant.weight_grams),
        f.POLICY: variant.inventory_policy.value,
        f.PRICE: Money(variant.price, currency).format(),
        f.COMPARE_AT: Money(variant.compare_at_price, currency).format()
        if variant.compare_at_price is not None
        else "",
        f.REQUIRES_SHIPPING: _bool(variant.requires_shipping),
        f.TAXABLE: _bool(variant.taxable),
        f.BARCODE: variant.barcode,
        f.VARIANT_IMAGE: variant_image.get(variant.id, ""),
        f.WEIGHT_UNIT: "g",
    }
    if options:
        for position, option in enumerate(options):
            row[f.OPTION_VALUES[position]] = by_option.get(option.id, "")
    else:
        row[f.OPTION_VALUES[0]] = f.DEFAULT_OPTION_VALUE
    if variant.id in stock:
        row[f.TRACKER] = "shopify"
        row[f.QTY] = str(stock[variant.id])
    return row
