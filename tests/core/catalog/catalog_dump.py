"""A normalised, comparable picture of the catalog: what an import must reproduce."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.core.catalog.models import Product
from shop.core.inventory.models import StockLevel
from shop.core.inventory.stocktake import first_location

DATA = Path(__file__).parent / "data"


def fixture_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


def dump_catalog(session: Session) -> list[dict[str, Any]]:
    session.expire_all()
    location = first_location(session, create=False)
    on_hand = {}
    if location is not None:
        on_hand = dict(
            session.execute(
                select(StockLevel.variant_id, StockLevel.on_hand).where(StockLevel.location_id == location.id)
            ).all()
        )
    products = []
    for product in session.scalars(select(Product).order_by(Product.slug)):
        options = sorted(product.options, key=lambda o: o.position)
        products.append(
            {
                "handle": product.slug,
                "title": product.title,
                "description": product.description,
                "vendor": product.vendor,
                "type": product.product_type,
                "tags": product.tags,
                "status": product.status.value,
                "published": product.published_at is not None,
                "seo": (product.seo_title, product.seo_description),
                "options": [(o.name, [v.value for v in o.values]) for o in options],
                "variants": [
                    {
                        "sku": v.sku,
                        "title": v.title,
                        "values": tuple(
                            next(x.value for x in v.option_values if x.option_id == o.id) for o in options
                        ),
                        "price": v.price,
                        "compare_at": v.compare_at_price,
                        "grams": v.weight_grams,
                        "barcode": v.barcode,
                        "shipping": v.requires_shipping,
                        "taxable": v.taxable,
                        "policy": v.inventory_policy.value,
                        "on_hand": on_hand.get(v.id),
                        "image": v.image.position if v.image else None,
                    }
                    for v in sorted(product.variants, key=lambda v: v.position)
                ],
                "images": [
                    (i.source_url, i.file, i.position, i.alt)
                    for i in sorted(product.images, key=lambda i: i.position)
                ],
            }
        )
    return products


def edit_csv(data: bytes | str, change: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> str:
    """Rewrite a CSV's rows (as dicts) through `change`, keeping the header."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = list(reader.fieldnames or [])
    rows = change(list(reader))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
