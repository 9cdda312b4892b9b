"""Products, their options and variants, categories, collections and images."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.core.db import Base, Timestamps
from shop.core.search import trigram_indexes
from shop.core.types import Slug, enum_column


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


class InventoryPolicy(enum.StrEnum):
    DENY = "deny"  # never sell more than is available
    CONTINUE = "continue"  # keep selling below zero (backorders)


product_categories = Table(
    "product_categories",
    Base.metadata,
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_product_categories_category_id", "category_id"),
)

variant_option_values = Table(
    "variant_option_values",
    Base.metadata,
    Column("variant_id", ForeignKey("variants.id", ondelete="CASCADE"), primary_key=True),
    Column("option_value_id", ForeignKey("product_option_values.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_variant_option_values_option_value_id", "option_value_id"),
)


class Product(Timestamps, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(Slug, unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProductStatus] = mapped_column(
        enum_column(ProductStatus, "product_status"), default=ProductStatus.DRAFT
    )
    vendor: Mapped[str] = mapped_column(String(255), default="")
    product_type: Mapped[str] = mapped_column(String(255), default="")
    # Comma-separated, as Shopify writes them; `tag_list` gives them parsed.
    tags: Mapped[str] = mapped_column(Text, default="")
    seo_title: Mapped[str] = mapped_column(String(255), default="")
    seo_description: Mapped[str] = mapped_column(String(500), default="")
    published_at: Mapped[datetime | None]
    # Bumped on every ORM update: optimistic locking for the admin ("never lose an
    # edit") and the row version the generator's build manifest records.
    version: Mapped[int] = mapped_column(Integer, default=1)

    options: Mapped[list[ProductOption]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductOption.position"
    )
    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Variant.position"
    )
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductImage.position"
    )
    categories: Mapped[list[Category]] = relationship(secondary=product_categories, back_populates="products")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_products_status_updated_at", "status", "updated_at"),
        # "changed since the last publish" counts rows by this alone
        Index("ix_products_updated_at", "updated_at"),
        *trigram_indexes("products", "title", "vendor"),
    )

    @property
    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]

    def __str__(self) -> str:
        return self.title


class ProductOption(Base):
    __tablename__ = "product_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(default=1)

    product: Mapped[Product] = relationship(back_populates="options")
    values: Mapped[list[ProductOptionValue]] = relationship(
        back_populates="option", cascade="all, delete-orphan", order_by="ProductOptionValue.position"
    )

    __table_args__ = (
        UniqueConstraint("product_id", "name"),
        CheckConstraint("position BETWEEN 1 AND 3", name="position_range"),
    )

    def __str__(self) -> str:
        return self.name


class ProductOptionValue(Base):
    __tablename__ = "product_option_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("product_options.id", ondelete="CASCADE"))
    value: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(default=1)

    option: Mapped[ProductOption] = relationship(back_populates="values")

    __table_args__ = (UniqueConstraint("option_id", "value"),)

    def __str__(self) -> str:
        return self.value


class Variant(Timestamps, Base):
    __tablename__ = "variants"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(255), default="Default")
    position: Mapped[int] = mapped_column(default=1)
    price: Mapped[int] = mapped_column(comment="minor units of the store currency")
    compare_at_price: Mapped[int | None] = mapped_column(comment="minor units; shown struck through")
    weight_grams: Mapped[int] = mapped_column(default=0)
    barcode: Mapped[str] = mapped_column(String(64), default="")
    requires_shipping: Mapped[bool] = mapped_column(Boolean, default=True)
    taxable: Mapped[bool] = mapped_column(Boolean, default=True)
    inventory_policy: Mapped[InventoryPolicy] = mapped_column(
        enum_column(InventoryPolicy, "inventory_policy"), default=InventoryPolicy.DENY
    )
    # The picture of this variant, one of its product's images; several variants may share
    # one (all sizes of the red shirt show the red photo).
    image_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_images.id", ondelete="SET NULL"), index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)

    product: Mapped[Product] = relationship(back_populates="variants")
    option_values: Mapped[list[ProductOptionValue]] = relationship(secondary=variant_option_values)
    image: Mapped[ProductImage | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_non_negative"),
        CheckConstraint("compare_at_price IS NULL OR compare_at_price >= 0", name="compare_at_non_negative"),
        CheckConstraint("weight_grams >= 0", name="weight_non_negative"),
        Index("ix_variants_updated_at", "updated_at"),
        *trigram_indexes("variants", "sku", "barcode"),
    )

    def __str__(self) -> str:
        return f"{self.sku} ({self.title})"


class Category(Timestamps, Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(Slug, unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    seo_title: Mapped[str] = mapped_column(String(255), default="")
    seo_description: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(back_populates="parent", order_by="Category.position")
    products: Mapped[list[Product]] = relationship(secondary=product_categories, back_populates="categories")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),)

    def __str__(self) -> str:
        return self.name


class Collection(Timestamps, Base):
    """A hand-picked, ordered set of products (e.g. 'Summer picks' on the home page)."""

    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(Slug, unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(default=0)
    seo_title: Mapped[str] = mapped_column(String(255), default="")
    seo_description: Mapped[str] = mapped_column(String(500), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    entries: Mapped[list[CollectionProduct]] = relationship(
        back_populates="collection", cascade="all, delete-orphan", order_by="CollectionProduct.position"
    )

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.title


class CollectionProduct(Base):
    __tablename__ = "collection_products"

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)

    collection: Mapped[Collection] = relationship(back_populates="entries")
    product: Mapped[Product] = relationship()


class ProductImage(Timestamps, Base):
    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    # Path under the media folder, named by content hash (e.g. "ab/abcdef....jpg").
    file: Mapped[str | None] = mapped_column(String(255))
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    # Where an imported image came from when it was not fetched.
    source_url: Mapped[str | None] = mapped_column(String(2048))
    alt: Mapped[str] = mapped_column(String(500), default="")
    position: Mapped[int] = mapped_column(default=1)
    width: Mapped[int | None]
    height: Mapped[int | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    product: Mapped[Product] = relationship(back_populates="images")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("file IS NOT NULL OR source_url IS NOT NULL", name="has_source"),
        CheckConstraint(
            "(width IS NULL OR width > 0) AND (height IS NULL OR height > 0)", name="positive_size"
        ),
    )

    def __str__(self) -> str:
        return self.alt or self.file or self.source_url or f"image {self.id}"
