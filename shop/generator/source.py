"""Read every source of the storefront in one read transaction, into plain dataclasses.

Nothing here is an ORM object: rows come back as tuples from Core selects (much cheaper
than mapped instances, which matters at 50,000 products) and are folded into the
dataclasses templates receive. Fingerprints of each product's inputs are computed here
too, from row versions and derived state, so a rebuild can tell what changed without
rendering anything.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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

REVIEWS_SHOWN = 20
CONTINUE = InventoryPolicy.CONTINUE.value


def digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass(slots=True)
class ImageData:
    id: int
    sha256: str
    file: str  # relative to the media folder
    alt: str
    width: int
    height: int
    version: int
    variant_id: int | None


@dataclass(slots=True)
class VariantData:
    id: int
    sku: str
    title: str
    price: int
    compare_at_price: int | None
    barcode: str
    weight_grams: int
    version: int
    backorder: bool  # inventory policy "continue"
    available: int = 0
    low_threshold: int = 0
    options: dict[str, str] = field(default_factory=dict)

    @property
    def sold_out(self) -> bool:
        return self.available <= 0 and not self.backorder

    @property
    def state(self) -> str:
        """What the page says: in_stock, low_stock, backorder or sold_out."""
        if self.available > 0:
            return "low_stock" if self.available <= self.low_threshold else "in_stock"
        return "backorder" if self.backorder else "sold_out"


@dataclass(slots=True)
class OptionData:
    name: str
    values: list[str]


@dataclass(slots=True)
class ReviewData:
    id: int
    author: str
    rating: int
    title: str
    body: str
    verified: bool
    created_at: datetime
    updated_at: datetime


@dataclass(slots=True)
class ProductData:
    id: int
    slug: str
    title: str
    description: str  # HTML as stored; sanitised when a page is rendered
    vendor: str
    product_type: str
    tags: list[str]
    seo_title: str
    seo_description: str
    published_at: datetime | None
    updated_at: datetime
    version: int
    variants: list[VariantData] = field(default_factory=list)
    options: list[OptionData] = field(default_factory=list)
    images: list[ImageData] = field(default_factory=list)
    category_ids: list[int] = field(default_factory=list)
    reviews: list[ReviewData] = field(default_factory=list)  # the newest approved ones shown
    rating_count: int = 0
    rating_average: float = 0.0
    card_key: str = ""  # what a listing card shows
    page_key: str = ""  # what the product page shows of this product itself

    @property
    def price_min(self) -> int:
        return min((v.price for v in self.variants), default=0)

    @property
    def price_max(self) -> int:
        return max((v.price for v in self.variants), default=0)

    @property
    def compare_at(self) -> int | None:
        """The struck-through price of the cheapest variant, if it is higher."""
        cheapest = min(self.variants, key=lambda v: v.price, default=None)
        if cheapest and cheapest.compare_at_price and cheapest.compare_at_price > cheapest.price:
            return cheapest.compare_at_price
        return None

    @property
    def sold_out(self) -> bool:
        return all(v.sold_out for v in self.variants)

    @property
    def image(self) -> ImageData | None:
        return self.images[0] if self.images else None


@dataclass(slots=True)
class CategoryData:
    id: int
    parent_id: int | None
    name: str
    slug: str
    description: str
    position: int
    seo_title: str
    seo_description: str
    version: int
    children: list[int] = field(default_factory=list)
    product_ids: list[int] = field(default_factory=list)  # its own and its descendants'


@dataclass(slots=True)
class CollectionData:
    id: int
    title: str
    slug: str
    description: str
    featured: bool
    position: int
    seo_title: str
    seo_description: str
    version: int
    product_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class ShippingData:
    name: str
    price: int
    free_over: int | None
    delivery_estimate: str
    countries: str


@dataclass(slots=True)
class Catalog:
    products: dict[int, ProductData]  # active products only, in display order
    categories: dict[int, CategoryData]
    collections: list[CollectionData]
    shipping: list[ShippingData]
    nav_key: str = ""  # every page shows the category navigation

    @property
    def top_categories(self) -> list[CategoryData]:
        return [c for c in self.categories.values() if c.parent_id is None]

    def category_chain(self, category_id: int) -> list[CategoryData]:
        """From the top-level category down to `category_id`."""
        chain: list[CategoryData] = []
        seen: set[int] = set()
        current: int | None = category_id
        while current is not None and current in self.categories and current not in seen:
            seen.add(current)
            chain.append(self.categories[current])
            current = self.categories[current].parent_id
        return chain[::-1]


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
        ShippingData(
            name=row[0], price=row[1], free_over=row[2], delivery_estimate=row[3], countries=row[4]
        )
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
        _fingerprint(product)
    nav = "|".join(
        f"{c.id}.{c.version}.{c.parent_id}.{c.position}.{c.name}.{c.slug}"
        for c in categories.values()
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
            vendor=vendor or "",
            product_type=ptype or "",
            tags=[t.strip() for t in (tags or "").split(",") if t.strip()],
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
    for vid, pid, sku, title, price, compare_at, barcode, weight, version, policy in _rows(
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
        )
        .join(Product, Product.id == Variant.product_id)
        .where(active)
        .order_by(Variant.product_id, Variant.position, Variant.id),
    ):
        variant = VariantData(
            id=vid,
            sku=sku,
            title=title,
            price=price,
            compare_at_price=compare_at,
            barcode=barcode or "",
            weight_grams=weight or 0,
            version=version,
            backorder=policy == CONTINUE,
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
        options[pid].setdefault(name, []).append(value)
    for pid, by_name in options.items():
        products[pid].options = [OptionData(name, values) for name, values in by_name.items()]

    for vid, name, value in _rows(
        session,
        select(variant_option_values.c.variant_id, ProductOption.name, ProductOptionValue.value)
        .join(ProductOptionValue, ProductOptionValue.id == variant_option_values.c.option_value_id)
        .join(ProductOption, ProductOption.id == ProductOptionValue.option_id)
        .order_by(ProductOption.position),
    ):
        if vid in variants:
            variants[vid].options[name] = value


def _images(session: Connection, products: dict[int, ProductData]) -> None:
    for iid, pid, sha, file, alt, width, height, version, variant_id in _rows(
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
            ProductImage.variant_id,
        )
        .where(ProductImage.file.is_not(None), ProductImage.sha256.is_not(None))
        .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id),
    ):
        # Images known only by a remote URL are not shown: a page never loads a remote host.
        if pid in products and width and height:
            products[pid].images.append(
                ImageData(iid, sha, file, alt or "", width, height, version, variant_id)
            )


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
        select(ranked)
        .where(ranked.c.rank <= REVIEWS_SHOWN)
        .order_by(ranked.c.product_id, ranked.c.rank),
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


def _fingerprint(product: ProductData) -> None:
    """Cheap keys of what a card and a product page show, from row versions and derived state."""
    image = product.image
    variants = product.variants
    product.card_key = (
        f"{product.id}.{product.version}.{product.price_min}.{product.price_max}.{product.compare_at}"
        f".{int(product.sold_out)}.{image.id if image else 0}.{image.version if image else 0}"
        f".{product.rating_count}.{product.rating_average}"
    )
    # Option values are part of the key: renaming one touches no variant row.
    product.page_key = "|".join(
        (
            product.card_key,
            ";".join(
                [f"{v.id}.{v.version}.{v.state}.{'/'.join(v.options.values())}" for v in variants]
            ),
            ";".join([f"{o.name}={','.join(o.values)}" for o in product.options]),
            ";".join([f"{i.id}.{i.version}" for i in product.images]),
            ";".join([f"{r.id}.{r.updated_at.timestamp()}" for r in product.reviews]),
            ",".join(map(str, product.category_ids)),
        )
    )
