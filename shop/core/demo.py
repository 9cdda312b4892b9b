"""A demo catalog for `shop demo`: drawn images, stock in two places, a few reviews.

Everything is generated here (images with Pillow), so nothing is downloaded.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.core.catalog.images import store_image
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
)
from shop.core.db import utcnow
from shop.core.discounts.models import DiscountCode, DiscountKind
from shop.core.inventory.models import Location, MovementReason, StockLevel, StockMovement
from shop.core.reviews.models import Review, ReviewStatus
from shop.core.shipping.models import ShippingMethod
from shop.core.tax.models import TaxRate

CATEGORIES = {
    "Apparel": ["T-Shirts", "Hoodies", "Caps"],
    "Home": ["Mugs", "Posters", "Candles"],
    "Accessories": ["Bags", "Notebooks"],
}
ADJECTIVES = ["Classic", "Organic", "Vintage", "Midnight", "Sunrise", "Alpine", "Coastal", "Urban"]
COLOURS = {"Black": (30, 30, 35), "White": (236, 236, 230), "Forest": (34, 92, 60), "Ocean": (30, 90, 150)}
SIZES = ["S", "M", "L", "XL"]
SIZED = {"T-Shirts", "Hoodies"}
PRICES = {
    "T-Shirts": 2400,
    "Hoodies": 5900,
    "Caps": 2200,
    "Mugs": 1500,
    "Posters": 1900,
    "Candles": 1800,
    "Bags": 3400,
    "Notebooks": 1200,
}
REVIEWS = [
    (5, "Love it", "Exactly as pictured and arrived quickly."),
    (4, "Very nice", "Good quality, runs slightly large."),
    (5, "Perfect gift", "Bought two, one for a friend."),
    (3, "Okay", "Fine, but the colour is a bit darker than expected."),
]


@dataclass(frozen=True)
class DemoSummary:
    products: int
    variants: int
    categories: int
    images: int
    reviews: int


def load_demo_catalog(session: Session, *, media_dir: Path, seed: int = 7) -> DemoSummary:
    """Fill an empty store; refuses a store that already has products."""
    if session.scalar(select(func.count(Product.id))):
        raise ValueError("the store already has products; the demo only loads into an empty one")
    rng = random.Random(seed)
    warehouse = Location(name="Main warehouse", code="WH", priority=0)
    shopfront = Location(name="Shopfront", code="SHOP", priority=1)
    session.add_all([warehouse, shopfront])
    _settings_rows(session)

    leaves: list[Category] = []
    for position, (parent_name, children) in enumerate(CATEGORIES.items()):
        parent = Category(name=parent_name, slug=_slug(parent_name), position=position)
        session.add(parent)
        for child_position, child in enumerate(children):
            leaves.append(Category(name=child, slug=_slug(child), parent=parent, position=child_position))
    session.add_all(leaves)

    featured = Collection(
        title="Staff picks",
        slug="staff-picks",
        featured=True,
        description="Favourites of the people who run this shop.",
    )
    new_in = Collection(title="New in", slug="new-in", featured=True, position=1)
    session.add_all([featured, new_in])

    products: list[Product] = []
    variant_count = image_count = review_count = 0
    for index in range(36):
        category = leaves[index % len(leaves)]
        adjective = ADJECTIVES[(index // len(leaves)) % len(ADJECTIVES)]
        colour_names = rng.sample(list(COLOURS), 2)
        title = f"{adjective} {category.name.rstrip('s')}"
        product = Product(
            title=title,
            slug=_slug(f"{title}-{index + 1}"),
            description=(
                f"<p>A {adjective.lower()} {category.name.lower().rstrip('s')} made to last. "
                f"Available in {' and '.join(colour_names).lower()}.</p>"
            ),
            status=ProductStatus.DRAFT if index == 35 else ProductStatus.ACTIVE,
            vendor="Demo Goods Co.",
            product_type=category.name,
            tags=", ".join(sorted({category.parent.name.lower(), adjective.lower(), "demo"}))
            if category.parent
            else "demo",
            seo_title=f"{title} | Demo Store",
            seo_description=f"Buy the {title.lower()} online.",
            published_at=utcnow(),
            categories=[category],
        )
        colour = ProductOption(
            name="Colour",
            position=1,
            values=[ProductOptionValue(value=name, position=i + 1) for i, name in enumerate(colour_names)],
        )
        product.options.append(colour)
        sized = category.name in SIZED
        size = None
        if sized:
            size = ProductOption(
                name="Size",
                position=2,
                values=[ProductOptionValue(value=s, position=i + 1) for i, s in enumerate(SIZES[:3])],
            )
            product.options.append(size)
        base_price = PRICES[category.name] + 100 * (index % 4)
        position = 0
        for colour_value in colour.values:
            for size_value in size.values if size else [None]:
                position += 1
                values = [colour_value] + ([size_value] if size_value else [])
                sku = f"DEMO-{index + 1:03d}-{colour_value.value[:3].upper()}" + (
                    f"-{size_value.value}" if size_value else ""
                )
                variant = Variant(
                    sku=sku,
                    title=" / ".join(v.value for v in values),
                    position=position,
                    price=base_price,
                    compare_at_price=base_price + 500 if index % 5 == 0 else None,
                    weight_grams=250 if sized else 400,
                    inventory_policy=InventoryPolicy.CONTINUE if index % 9 == 4 else InventoryPolicy.DENY,
                    option_values=values,
                )
                product.variants.append(variant)
                variant_count += 1
                # Every seventh product is sold out, so the storefront shows that state too.
                stock = 0 if index % 7 == 3 else rng.randint(2, 40)
                for location, share in ((warehouse, stock - stock // 3), (shopfront, stock // 3)):
                    session.add(StockLevel(variant=variant, location=location, on_hand=share))
                    if share:
                        session.add(
                            StockMovement(
                                variant=variant,
                                location=location,
                                delta=share,
                                reason=MovementReason.RECEIVED,
                                reference="demo",
                                actor="demo",
                            )
                        )
        for image_position, colour_name in enumerate(colour_names, start=1):
            stored = store_image(_draw(title, COLOURS[colour_name], rng), media_dir)
            product.images.append(
                ProductImage(
                    file=stored.file,
                    sha256=stored.sha256,
                    width=stored.width,
                    height=stored.height,
                    alt=f"{title} in {colour_name.lower()}",
                    position=image_position,
                )
            )
            image_count += 1
        session.add(product)
        products.append(product)
        if index % 3 == 0:
            for number, (rating, review_title, body) in enumerate(rng.sample(REVIEWS, 2)):
                session.add(
                    Review(
                        product=product,
                        author_name=f"Shopper {index}{number}",
                        email=f"shopper{index}{number}@example.com",
                        rating=rating,
                        title=review_title,
                        body=body,
                        status=ReviewStatus.APPROVED,
                        verified_purchase=number == 0,
                        moderated_at=utcnow(),
                        moderated_by="demo",
                    )
                )
                review_count += 1
    session.flush()
    for position, product in enumerate(products[:8]):
        featured.entries.append(CollectionProduct(product=product, position=position))
    for position, product in enumerate(reversed(products[-9:-1])):
        new_in.entries.append(CollectionProduct(product=product, position=position))
    session.flush()
    return DemoSummary(
        products=len(products),
        variants=variant_count,
        categories=len(leaves) + len(CATEGORIES),
        images=image_count,
        reviews=review_count,
    )


def _settings_rows(session: Session) -> None:
    session.add_all(
        [
            ShippingMethod(
                name="Standard",
                code="standard",
                price=490,
                free_over=5000,
                delivery_estimate="3-5 business days",
                position=0,
            ),
            ShippingMethod(
                name="Express", code="express", price=1290, delivery_estimate="1-2 business days", position=1
            ),
            ShippingMethod(
                name="International",
                code="international",
                price=1990,
                countries="US,CA,GB,CH,NO",
                delivery_estimate="5-10 business days",
                position=2,
            ),
            TaxRate(name="VAT", country="DE", rate_bps=1900, prices_include_tax=True),
            TaxRate(name="VAT", country="FR", rate_bps=2000, prices_include_tax=True),
            DiscountCode(code="WELCOME10", kind=DiscountKind.PERCENT, value=1000, minimum_subtotal=2000),
            DiscountCode(code="FREESHIP", kind=DiscountKind.FREE_SHIPPING, value=0),
        ]
    )


def _slug(text: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in out.split("-") if part)


def _draw(title: str, colour: tuple[int, int, int], rng: random.Random) -> bytes:
    """A 1200x1200 product shot: a soft backdrop, an object silhouette, a shadow."""
    size = 1200
    image = Image.new("RGB", (size, size), (246, 244, 240))
    draw = ImageDraw.Draw(image)
    for y in range(0, size, 8):  # gentle vertical gradient
        shade = 246 - y * 18 // size
        draw.rectangle([0, y, size, y + 8], fill=(shade, shade - 2, shade - 6))
    draw.ellipse([300, 960, 900, 1040], fill=(200, 196, 190))
    shape = rng.choice(["rounded", "circle", "tall"])
    box = {"rounded": [280, 260, 920, 940], "circle": [260, 260, 940, 940], "tall": [380, 180, 820, 960]}[
        shape
    ]
    if shape == "circle":
        draw.ellipse(box, fill=colour)
    else:
        draw.rounded_rectangle(box, radius=90, fill=colour)
    accent = tuple(min(255, c + 60) for c in colour)
    draw.rounded_rectangle([box[0] + 80, box[1] + 120, box[2] - 80, box[1] + 200], radius=30, fill=accent)
    draw.text((60, 60), title, fill=(60, 60, 60))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()
