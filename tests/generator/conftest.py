"""A small fixture catalog that covers every state a storefront page shows."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import Engine

from shop.config import Settings
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
from shop.core.db import make_session_factory, unit_of_work
from shop.core.inventory.models import Location, StockLevel
from shop.core.reviews.models import Review, ReviewStatus
from shop.core.shipping.models import ShippingMethod

WHEN = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class FixtureCatalog:
    tee: int  # two options, six variants, reviews, images, on sale
    mug: int  # sold out (deny policy, no stock)
    poster: int  # backorder (continue policy, no stock)
    cap: int  # plain, one variant
    draft: int
    archived: int


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (700, 500)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def make_catalog(engine: Engine, media: Path) -> FixtureCatalog:
    with unit_of_work(make_session_factory(engine)) as s:
        where = Location(name="Warehouse", code="WH")
        s.add(where)
        s.add(
            ShippingMethod(
                name="Standard",
                code="standard",
                price=490,
                free_over=5000,
                delivery_estimate="3-5 days",
            )
        )
        apparel = Category(
            name="Apparel",
            slug="apparel",
            position=0,
            description="<p>Clothes <script>alert(1)</script>we like.</p>",
        )
        tees = Category(name="T-Shirts", slug="t-shirts", parent=apparel, position=0)
        home = Category(name="Homeware", slug="home-goods", position=1)
        picks = Collection(title="Staff picks", slug="staff-picks", featured=True, description="Favourites.")
        s.add_all([apparel, tees, home, picks])

        def product(title: str, slug: str, category: Category, **fields: object) -> Product:
            values: dict[str, object] = {"status": ProductStatus.ACTIVE, **fields}
            p = Product(
                title=title,
                slug=slug,
                vendor="Fixture Co.",
                description=f"<p>The {title.lower()}.</p>",
                published_at=WHEN,
                categories=[category],
                **values,
            )
            s.add(p)
            return p

        tee = product("Organic Tee", "organic-tee", tees, tags="cotton, organic")
        colour = ProductOption(
            name="Colour",
            position=1,
            values=[
                ProductOptionValue(value="Black", position=1),
                ProductOptionValue(value="White", position=2),
            ],
        )
        size = ProductOption(
            name="Size",
            position=2,
            values=[ProductOptionValue(value=v, position=i) for i, v in enumerate(["S", "M", "L"], start=1)],
        )
        tee.options += [colour, size]
        n = 0
        for c in colour.values:
            for z in size.values:
                n += 1
                v = Variant(
                    sku=f"TEE-{c.value[0]}-{z.value}",
                    title=f"{c.value} / {z.value}",
                    position=n,
                    price=2500 if z.value != "L" else 2700,
                    compare_at_price=3000,
                    option_values=[c, z],
                )
                tee.variants.append(v)
                # White / L is sold out; the rest are in stock.
                s.add(
                    StockLevel(
                        variant=v,
                        location=where,
                        on_hand=0 if (c.value, z.value) == ("White", "L") else 10,
                    )
                )
        for position, rgb in enumerate([(20, 20, 20), (240, 240, 240)], start=1):
            stored = store_image(_png(rgb), media)
            tee.images.append(
                ProductImage(
                    file=stored.file,
                    sha256=stored.sha256,
                    width=stored.width,
                    height=stored.height,
                    alt=f"Organic tee {position}",
                    position=position,
                )
            )
        for v in tee.variants:  # the black photo shows every black size, the white one every white
            v.image = tee.images[0 if v.sku.startswith("TEE-B") else 1]
        mug = product("Stoneware Mug", "stoneware-mug", home)
        mug.variants.append(Variant(sku="MUG-1", price=1500))
        poster = product("Mountain Poster", "mountain-poster", home)
        poster.variants.append(Variant(sku="POSTER-1", price=1900, inventory_policy=InventoryPolicy.CONTINUE))
        cap = product("Canvas Cap", "canvas-cap", apparel)
        cap.variants.append(Variant(sku="CAP-1", price=2200, barcode="4006381333931"))
        draft = product("Secret Draft", "secret-draft", tees, status=ProductStatus.DRAFT)
        draft.variants.append(Variant(sku="DRAFT-1", price=100))
        archived = product("Old Archived", "old-archived", home, status=ProductStatus.ARCHIVED)
        archived.variants.append(Variant(sku="ARCH-1", price=100))
        s.flush()
        s.add_all(
            [
                StockLevel(variant=mug.variants[0], location=where, on_hand=0),
                StockLevel(variant=poster.variants[0], location=where, on_hand=0),
                StockLevel(variant=cap.variants[0], location=where, on_hand=2),
            ]
        )
        picks.entries += [
            CollectionProduct(product=tee, position=0),
            CollectionProduct(product=mug, position=1),
            CollectionProduct(product=draft, position=2),
        ]
        for i, (rating, status) in enumerate(
            [(5, ReviewStatus.APPROVED), (4, ReviewStatus.APPROVED), (1, ReviewStatus.PENDING)]
        ):
            s.add(
                Review(
                    product=tee,
                    author_name=f"Reviewer {i}",
                    email=f"r{i}@example.com",
                    rating=rating,
                    title=f"Title {i}",
                    body=f"Body {i} <b>bold</b>",
                    status=status,
                    verified_purchase=i == 0,
                    created_at=WHEN,
                    updated_at=WHEN,
                )
            )
        s.flush()
        return FixtureCatalog(
            tee=tee.id,
            mug=mug.id,
            poster=poster.id,
            cap=cap.id,
            draft=draft.id,
            archived=archived.id,
        )


@pytest.fixture
def catalog(engine: Engine, settings: Settings) -> FixtureCatalog:
    return make_catalog(engine, settings.media_path)


@pytest.fixture
def site_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"store_name": "Fixture Store"})
