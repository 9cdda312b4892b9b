"""The plain data templates receive: dataclasses, never ORM objects.

`source.py` fills them from the database; the keys (`card_key`, `page_key`, `nav_key`) are
cheap fingerprints of what a card, a product page and the navigation show, so a rebuild can
tell what changed without rendering anything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime


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
    image_id: int | None = None  # one of the product's images (ImageData.id)
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
    # Derived from the variants by `fingerprint`, once: a card reads them several times and
    # is shown on several pages.
    price_min: int = 0
    price_max: int = 0
    compare_at: int | None = None  # the struck-through price of the cheapest variant, if higher
    sold_out: bool = True

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


def fingerprint(product: ProductData) -> None:
    """Derive what the variants decide (prices, sold out) and cheap keys of what a card and a
    product page show, from row versions and derived state. Call once the variants are read."""
    image = product.image
    variants = product.variants
    prices = [v.price for v in variants]
    product.price_min = min(prices, default=0)
    product.price_max = max(prices, default=0)
    cheapest = min(variants, key=lambda v: v.price, default=None)
    product.compare_at = (
        cheapest.compare_at_price
        if cheapest and cheapest.compare_at_price and cheapest.compare_at_price > cheapest.price
        else None
    )
    product.sold_out = all(v.sold_out for v in variants)
    product.card_key = (
        f"{product.id}.{product.version}.{product.price_min}.{product.price_max}.{product.compare_at}"
        f".{int(product.sold_out)}.{image.id if image else 0}.{image.version if image else 0}"
        f".{product.rating_count}.{product.rating_average}"
    )
    # Option values are part of the key: renaming one touches no variant row.
    product.page_key = "|".join(
        (
            product.card_key,
            ";".join([f"{v.id}.{v.version}.{v.state}.{'/'.join(v.options.values())}" for v in variants]),
            ";".join([f"{o.name}={','.join(o.values)}" for o in product.options]),
            ";".join([f"{i.id}.{i.version}" for i in product.images]),
            ";".join([f"{r.id}.{r.updated_at.timestamp()}" for r in product.reviews]),
            ",".join(map(str, product.category_ids)),
        )
    )
