"""Read every source of the storefront in one read snapshot, into plain dataclasses.

Nothing here is an ORM object, nor an SQLAlchemy one: the SQL is our own and goes through
the database driver (`snapshot.py` says why), rows come back as plain tuples and are folded
into the dataclasses templates receive. Fingerprints of each product's inputs are computed
here too, from row versions and derived state, so a rebuild can tell what changed without
rendering anything.

Every column is named with its table (`products.id`): `tests/generator/test_source.py`
checks each such name, and each enum value below, against the models.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any, TypeVar

from shop.generator.data import (
    Catalog,
    CategoryData,
    CollectionData,
    ImageData,
    OptionData,
    ProductData,
    ReviewData,
    ShippingData,
    VariantData,
    digest,
    fingerprint,
)
from shop.generator.snapshot import Snapshot

REVIEWS_SHOWN = 20
_T = TypeVar("_T")
# Stored enum values (ProductStatus.ACTIVE, ReviewStatus.APPROVED, InventoryPolicy.CONTINUE).
ACTIVE = "active"
APPROVED = "approved"
CONTINUE = "continue"


def load_catalog(db: Snapshot) -> Catalog:
    """Everything the storefront shows, read in one consistent snapshot."""
    products = _products(db)
    _variants(db, products)
    _images(db, products)
    _reviews(db, products)
    categories = _categories(db, products)
    collections = _collections(db, products)
    shipping = [
        ShippingData(name=row[0], price=row[1], free_over=row[2], delivery_estimate=row[3], countries=row[4])
        for row in db.rows(
            "SELECT shipping_methods.name, shipping_methods.price, shipping_methods.free_over,"
            " shipping_methods.delivery_estimate, shipping_methods.countries"
            " FROM shipping_methods WHERE shipping_methods.active"
            " ORDER BY shipping_methods.position, shipping_methods.id"
        )
    ]
    for product in products.values():
        fingerprint(product)
    nav = "|".join(
        f"{c.id}.{c.version}.{c.parent_id}.{c.position}.{c.name}.{c.slug}" for c in categories.values()
    )
    return Catalog(
        products=products,
        categories=categories,
        collections=collections,
        shipping=shipping,
        nav_key=digest(nav),
    )


def _when(value: Any) -> datetime:
    """SQLite gives dates as the text SQLAlchemy stored (UTC), psycopg as aware datetimes."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class _Shared(dict[Any, Any]):
    """One object for each distinct value: the driver makes a new string for every cell, and
    at 50,000 products the same option names, values, vendors and tags would otherwise be
    held hundreds of thousands of times (in the main process and in every render worker)."""

    def __call__(self, value: _T) -> _T:
        return self.setdefault(value, value)

    def list(self, values: list[str]) -> list[str]:
        return self.setdefault(tuple(values), [self(v) for v in values])


def _products(db: Snapshot) -> dict[int, ProductData]:
    rows = db.rows(
        "SELECT products.id, products.slug, products.title, products.description, products.vendor,"
        " products.product_type, products.tags, products.seo_title, products.seo_description,"
        " products.published_at, products.updated_at, products.version"
        f" FROM products WHERE products.status = '{ACTIVE}'"
        " ORDER BY products.published_at DESC NULLS LAST, products.id DESC"
    )
    products: dict[int, ProductData] = {}
    same = _Shared()
    for (
        pid,
        slug,
        title,
        description,
        vendor,
        ptype,
        tags,
        seo_title,
        seo_description,
        published_at,
        updated_at,
        version,
    ) in rows:
        products[pid] = ProductData(
            id=pid,
            slug=slug,
            title=title,
            description=description or "",
            vendor=same(vendor or ""),
            product_type=same(ptype or ""),
            tags=same.list([t.strip() for t in (tags or "").split(",") if t.strip()]),
            seo_title=seo_title or "",
            seo_description=seo_description or "",
            published_at=_when(published_at) if published_at else None,
            updated_at=_when(updated_at),
            version=version,
        )
    return products


def _variants(db: Snapshot, products: dict[int, ProductData]) -> None:
    variants: dict[int, VariantData] = {}
    same = _Shared()
    for vid, pid, sku, title, price, compare_at, barcode, weight, version, policy, image_id in db.rows(
        "SELECT variants.id, variants.product_id, variants.sku, variants.title, variants.price,"
        " variants.compare_at_price, variants.barcode, variants.weight_grams, variants.version,"
        " variants.inventory_policy, variants.image_id"
        " FROM variants JOIN products ON products.id = variants.product_id"
        f" WHERE products.status = '{ACTIVE}'"
        " ORDER BY variants.product_id, variants.position, variants.id"
    ):
        # Positional: this runs once per variant (150,000 times at 50,000 products).
        variant = VariantData(
            vid,
            sku,
            same(title),
            same(price),
            same(compare_at),
            barcode or "",
            same(weight or 0),
            version,
            policy == CONTINUE,
            image_id,
        )
        variants[vid] = variant
        products[pid].variants.append(variant)

    for vid, available, threshold in db.rows(
        "SELECT stock_levels.variant_id, SUM(stock_levels.on_hand - stock_levels.allocated),"
        " MAX(stock_levels.low_stock_threshold)"
        " FROM stock_levels JOIN locations ON locations.id = stock_levels.location_id"
        " WHERE locations.active GROUP BY stock_levels.variant_id"
    ):
        if vid in variants:
            variants[vid].available = int(available or 0)
            variants[vid].low_threshold = int(threshold or 0)

    options: dict[int, dict[str, list[str]]] = defaultdict(dict)
    for pid, name, value in db.rows(
        "SELECT product_options.product_id, product_options.name, product_option_values.value"
        " FROM product_options"
        " JOIN product_option_values ON product_option_values.option_id = product_options.id"
        " JOIN products ON products.id = product_options.product_id"
        f" WHERE products.status = '{ACTIVE}'"
        " ORDER BY product_options.product_id, product_options.position, product_option_values.position"
    ):
        options[pid].setdefault(same(name), []).append(same(value))
    shared_options: dict[tuple[str, tuple[str, ...]], OptionData] = {}
    for pid, by_name in options.items():
        products[pid].options = [
            shared_options.setdefault((name, tuple(values)), OptionData(name, values))
            for name, values in by_name.items()
        ]

    for vid, name, value in db.rows(
        "SELECT variant_option_values.variant_id, product_options.name, product_option_values.value"
        " FROM variant_option_values"
        " JOIN product_option_values ON product_option_values.id = variant_option_values.option_value_id"
        " JOIN product_options ON product_options.id = product_option_values.option_id"
        " ORDER BY product_options.position"
    ):
        if vid in variants:
            variants[vid].options[same(name)] = same(value)
    # Most variants share their options with many others ({"Size": "M"}): one dict for each
    # distinct set. Templates only read them.
    shared: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
    for variant in variants.values():
        variant.options = shared.setdefault(tuple(variant.options.items()), variant.options)


def _images(db: Snapshot, products: dict[int, ProductData]) -> None:
    for iid, pid, sha, file, alt, width, height, version in db.rows(
        "SELECT product_images.id, product_images.product_id, product_images.sha256,"
        " product_images.file, product_images.alt, product_images.width, product_images.height,"
        " product_images.version"
        " FROM product_images"
        " WHERE product_images.file IS NOT NULL AND product_images.sha256 IS NOT NULL"
        " ORDER BY product_images.product_id, product_images.position, product_images.id"
    ):
        # Images known only by a remote URL are not shown: a page never loads a remote host.
        if pid in products and width and height:
            products[pid].images.append(ImageData(iid, sha, file, alt or "", width, height, version))


def _reviews(db: Snapshot, products: dict[int, ProductData]) -> None:
    for pid, count, average in db.rows(
        "SELECT reviews.product_id, COUNT(reviews.id), AVG(reviews.rating) FROM reviews"
        f" WHERE reviews.status = '{APPROVED}' GROUP BY reviews.product_id"
    ):
        if pid in products:
            products[pid].rating_count = int(count)
            products[pid].rating_average = round(float(average), 1)
    # The newest REVIEWS_SHOWN approved reviews of each product.
    for rid, pid, author, rating, title, body, verified, created_at, updated_at, _rank in db.rows(
        "SELECT * FROM (SELECT reviews.id, reviews.product_id, reviews.author_name, reviews.rating,"
        " reviews.title, reviews.body, reviews.verified_purchase, reviews.created_at,"
        " reviews.updated_at, ROW_NUMBER() OVER (PARTITION BY reviews.product_id"
        " ORDER BY reviews.created_at DESC, reviews.id DESC) AS rank"
        f" FROM reviews WHERE reviews.status = '{APPROVED}') AS ranked"
        f" WHERE ranked.rank <= {REVIEWS_SHOWN} ORDER BY ranked.product_id, ranked.rank"
    ):
        if pid in products:
            products[pid].reviews.append(
                ReviewData(
                    id=rid,
                    author=author,
                    rating=rating,
                    title=title or "",
                    body=body or "",
                    verified=bool(verified),
                    created_at=_when(created_at),
                    updated_at=_when(updated_at),
                )
            )


def _categories(db: Snapshot, products: dict[int, ProductData]) -> dict[int, CategoryData]:
    categories: dict[int, CategoryData] = {}
    for cid, parent_id, name, slug, description, position, seo_title, seo_description, version in db.rows(
        "SELECT categories.id, categories.parent_id, categories.name, categories.slug,"
        " categories.description, categories.position, categories.seo_title,"
        " categories.seo_description, categories.version"
        " FROM categories ORDER BY categories.position, categories.name, categories.id"
    ):
        categories[cid] = CategoryData(
            id=cid,
            parent_id=parent_id,
            name=name,
            slug=slug,
            description=description or "",
            position=position,
            seo_title=seo_title or "",
            seo_description=seo_description or "",
            version=version,
        )
    for category in categories.values():
        if category.parent_id in categories:
            categories[category.parent_id].children.append(category.id)
    members: dict[int, set[int]] = defaultdict(set)
    for pid, cid in db.rows(
        "SELECT product_categories.product_id, product_categories.category_id FROM product_categories"
        " ORDER BY product_categories.product_id, product_categories.category_id"
    ):
        if pid in products and cid in categories:
            products[pid].category_ids.append(cid)
            seen: set[int] = set()
            current: int | None = cid
            while current is not None and current in categories and current not in seen:
                seen.add(current)
                members[current].add(pid)
                current = categories[current].parent_id
    order = {pid: index for index, pid in enumerate(products)}
    for cid, pids in members.items():
        categories[cid].product_ids = sorted(pids, key=order.__getitem__)
    return categories


def _collections(db: Snapshot, products: dict[int, ProductData]) -> list[CollectionData]:
    collections: dict[int, CollectionData] = {}
    for cid, title, slug, description, featured, position, seo_title, seo_description, version in db.rows(
        "SELECT collections.id, collections.title, collections.slug, collections.description,"
        " collections.featured, collections.position, collections.seo_title,"
        " collections.seo_description, collections.version"
        " FROM collections ORDER BY collections.position, collections.id"
    ):
        collections[cid] = CollectionData(
            id=cid,
            title=title,
            slug=slug,
            description=description or "",
            featured=bool(featured),
            position=position,
            seo_title=seo_title or "",
            seo_description=seo_description or "",
            version=version,
        )
    for cid, pid in db.rows(
        "SELECT collection_products.collection_id, collection_products.product_id FROM collection_products"
        " ORDER BY collection_products.collection_id, collection_products.position,"
        " collection_products.product_id"
    ):
        if pid in products and cid in collections:
            collections[cid].product_ids.append(pid)
    return list(collections.values())
