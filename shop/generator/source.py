"""Read every source of the storefront in one read transaction, into plain dataclasses.

Nothing here is an ORM object: rows come back as tuples from Core selects (much cheaper
than mapped instances, which matters at 50,000 products) and are folded into the
dataclasses templates receive. Fingerprints of each product's inputs are computed here
too, from row versions and derived state, so a rebuild can tell what changed without
rendering anything.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, String, func, select, type_coerce

from shop.core.catalog.models import (
    Category,
    Collection,
    CollectionProduct,
    InventoryPolicy,
    Product,
    ProductImage,
    ProductOption,
    ProductOptionValue,
    ProductStatus,
    Variant,
    product_categories,
    variant_option_values,
)
from shop.core.db import make_session_factory
from shop.core.inventory.models import Location, StockLevel
from shop.core.reviews.models import Review, ReviewStatus
from shop.core.shipping.models import ShippingMethod
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

REVIEWS_SHOWN = 20
_T = TypeVar("_T")
CONTINUE = InventoryPolicy.CONTINUE.value


def load_catalog(engine: Engine) -> Catalog:
    """Everything the storefront shows, read in one consistent snapshot."""
    with make_session_factory(engine, read_only=True)() as session, session.begin():
        # Core rows through the session's connection: the same snapshot, without the ORM's
        # per-row bookkeeping (several times faster at 50,000 products).
        return _load(session.connection())


def _load(session: Connection) -> Catalog:
    products = _products(session)
    _variants(session, products)
    _images(session, products)
    _reviews(session, products)
    categories = _categories(session, products)
    collections = _collections(session, products)
    shipping = [
        ShippingData(name=row[0], price=row[1], free_over=row[2], delivery_estimate=row[3], countries=row[4])
        for row in _rows(
            session,
            select(
                ShippingMethod.name,
                ShippingMethod.price,
                ShippingMethod.free_over,
                ShippingMethod.delivery_estimate,
                ShippingMethod.countries,
            )
            .where(ShippingMethod.active.is_(True))
            .order_by(ShippingMethod.position, ShippingMethod.id),
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


def _raw(column: Any) -> Any:
    """The column as the driver returns it, skipping SQLAlchemy's per-row conversion (dates
    parsed by regex on SQLite, enum lookups); `_when` turns dates into datetimes cheaply."""
    return type_coerce(column, String).label(column.key)


def _when(value: Any) -> datetime:
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


def _rows(conn: Connection, statement: Any) -> Sequence[Any]:
    """Plain tuples straight from the driver, inside the session's transaction.

    SQLAlchemy's result rows cost several microseconds each, which is most of a no-change
    rebuild at 50,000 products; the statement is still built and compiled by SQLAlchemy
    (with its few constants inlined), only the row objects are skipped."""
    sql = str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        cursor.close()


def _named(conn: Connection, statement: Any) -> Sequence[Any]:
    """Rows with attribute access, for the small tables."""
    return conn.execute(statement).all()


def _products(session: Connection) -> dict[int, ProductData]:
    rows = _rows(
        session,
        select(
            Product.id,
            Product.slug,
            Product.title,
            Product.description,
            Product.vendor,
            Product.product_type,
            Product.tags,
            Product.seo_title,
            Product.seo_description,
            _raw(Product.published_at),
            _raw(Product.updated_at),
            Product.version,
        )
        .where(Product.status == ProductStatus.ACTIVE)
        .order_by(Product.published_at.desc().nulls_last(), Product.id.desc()),
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


def _variants(session: Connection, products: dict[int, ProductData]) -> None:
    active = Product.status == ProductStatus.ACTIVE
    variants: dict[int, VariantData] = {}
    same = _Shared()
    for vid, pid, sku, title, price, compare_at, barcode, weight, version, policy, image_id in _rows(
        session,
        select(
            Variant.id,
            Variant.product_id,
            Variant.sku,
            Variant.title,
            Variant.price,
            Variant.compare_at_price,
            Variant.barcode,
            Variant.weight_grams,
            Variant.version,
            _raw(Variant.inventory_policy),
            Variant.image_id,
        )
        .join(Product, Product.id == Variant.product_id)
        .where(active)
        .order_by(Variant.product_id, Variant.position, Variant.id),
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

    for vid, available, threshold in _rows(
        session,
        select(
            StockLevel.variant_id,
            func.sum(StockLevel.on_hand - StockLevel.allocated),
            func.max(StockLevel.low_stock_threshold),
        )
        .join(Location, Location.id == StockLevel.location_id)
        .where(Location.active.is_(True))
        .group_by(StockLevel.variant_id),
    ):
        if vid in variants:
            variants[vid].available = int(available or 0)
            variants[vid].low_threshold = int(threshold or 0)

    options: dict[int, dict[str, list[str]]] = defaultdict(dict)
    for pid, name, value in _rows(
        session,
        select(ProductOption.product_id, ProductOption.name, ProductOptionValue.value)
        .join(ProductOptionValue, ProductOptionValue.option_id == ProductOption.id)
        .join(Product, Product.id == ProductOption.product_id)
        .where(active)
        .order_by(ProductOption.product_id, ProductOption.position, ProductOptionValue.position),
    ):
        options[pid].setdefault(same(name), []).append(same(value))
    shared_options: dict[tuple[str, tuple[str, ...]], OptionData] = {}
    for pid, by_name in options.items():
        products[pid].options = [
            shared_options.setdefault((name, tuple(values)), OptionData(name, values))
            for name, values in by_name.items()
        ]

    for vid, name, value in _rows(
        session,
        select(variant_option_values.c.variant_id, ProductOption.name, ProductOptionValue.value)
        .join(ProductOptionValue, ProductOptionValue.id == variant_option_values.c.option_value_id)
        .join(ProductOption, ProductOption.id == ProductOptionValue.option_id)
        .order_by(ProductOption.position),
    ):
        if vid in variants:
            variants[vid].options[same(name)] = same(value)
    # Most variants share their options with many others ({"Size": "M"}): one dict for each
    # distinct set. Templates only read them.
    shared: dict[tuple[tuple[str, str], ...], dict[str, str]] = {}
    for variant in variants.values():
        variant.options = shared.setdefault(tuple(variant.options.items()), variant.options)


def _images(session: Connection, products: dict[int, ProductData]) -> None:
    for iid, pid, sha, file, alt, width, height, version in _rows(
        session,
        select(
            ProductImage.id,
            ProductImage.product_id,
            ProductImage.sha256,
            ProductImage.file,
            ProductImage.alt,
            ProductImage.width,
            ProductImage.height,
            ProductImage.version,
        )
        .where(ProductImage.file.is_not(None), ProductImage.sha256.is_not(None))
        .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id),
    ):
        # Images known only by a remote URL are not shown: a page never loads a remote host.
        if pid in products and width and height:
            products[pid].images.append(ImageData(iid, sha, file, alt or "", width, height, version))


def _reviews(session: Connection, products: dict[int, ProductData]) -> None:
    approved = Review.status == ReviewStatus.APPROVED
    for pid, count, average in _rows(
        session,
        select(Review.product_id, func.count(Review.id), func.avg(Review.rating))
        .where(approved)
        .group_by(Review.product_id),
    ):
        if pid in products:
            products[pid].rating_count = int(count)
            products[pid].rating_average = round(float(average), 1)
    ranked = (
        select(
            Review.id,
            Review.product_id,
            Review.author_name,
            Review.rating,
            Review.title,
            Review.body,
            Review.verified_purchase,
            _raw(Review.created_at),
            _raw(Review.updated_at),
            func.row_number()
            .over(
                partition_by=Review.product_id,
                order_by=(Review.created_at.desc(), Review.id.desc()),
            )
            .label("rank"),
        )
        .where(approved)
        .subquery()
    )
    for row in _rows(
        session,
        select(ranked).where(ranked.c.rank <= REVIEWS_SHOWN).order_by(ranked.c.product_id, ranked.c.rank),
    ):
        rid, pid, author, rating, title, body, verified, created_at, updated_at, _rank = row
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


def _categories(session: Connection, products: dict[int, ProductData]) -> dict[int, CategoryData]:
    categories: dict[int, CategoryData] = {}
    for row in _named(
        session,
        select(
            Category.id,
            Category.parent_id,
            Category.name,
            Category.slug,
            Category.description,
            Category.position,
            Category.seo_title,
            Category.seo_description,
            Category.version,
        ).order_by(Category.position, Category.name, Category.id),
    ):
        categories[row.id] = CategoryData(
            id=row.id,
            parent_id=row.parent_id,
            name=row.name,
            slug=row.slug,
            description=row.description or "",
            position=row.position,
            seo_title=row.seo_title or "",
            seo_description=row.seo_description or "",
            version=row.version,
        )
    for category in categories.values():
        if category.parent_id in categories:
            categories[category.parent_id].children.append(category.id)
    members: dict[int, set[int]] = defaultdict(set)
    for pid, cid in _rows(
        session,
        select(product_categories.c.product_id, product_categories.c.category_id).order_by(
            product_categories.c.product_id, product_categories.c.category_id
        ),
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


def _collections(session: Connection, products: dict[int, ProductData]) -> list[CollectionData]:
    collections: dict[int, CollectionData] = {}
    for row in _named(
        session,
        select(
            Collection.id,
            Collection.title,
            Collection.slug,
            Collection.description,
            Collection.featured,
            Collection.position,
            Collection.seo_title,
            Collection.seo_description,
            Collection.version,
        ).order_by(Collection.position, Collection.id),
    ):
        collections[row.id] = CollectionData(
            id=row.id,
            title=row.title,
            slug=row.slug,
            description=row.description or "",
            featured=bool(row.featured),
            position=row.position,
            seo_title=row.seo_title or "",
            seo_description=row.seo_description or "",
            version=row.version,
        )
    for cid, pid in _rows(
        session,
        select(CollectionProduct.collection_id, CollectionProduct.product_id).order_by(
            CollectionProduct.collection_id,
            CollectionProduct.position,
            CollectionProduct.product_id,
        ),
    ):
        if pid in products and cid in collections:
            collections[cid].product_ids.append(pid)
    return list(collections.values())
