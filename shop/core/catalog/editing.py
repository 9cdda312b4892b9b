"""Saving a product's options and variants as the product page submits them.

A product has up to three options (Size, Colour, ...) and at least one variant; each
variant picks one value per option, no two variants the same combination, and SKUs
are unique across the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.core.catalog.models import (
    InventoryPolicy,
    Product,
    ProductImage,
    ProductOption,
    ProductOptionValue,
    Variant,
)
from shop.core.errors import InvalidInput

MAX_OPTIONS = 3


@dataclass
class VariantInput:
    sku: str
    price: int
    id: int | None = None
    title: str = ""
    options: list[str] = field(default_factory=list)
    compare_at_price: int | None = None
    weight_grams: int = 0
    barcode: str = ""
    requires_shipping: bool = True
    taxable: bool = True
    inventory_policy: InventoryPolicy = InventoryPolicy.DENY
    remove: bool = False
    image: int | None = None  # position of one of the product's images that shows this variant


def save_variants(
    session: Session,
    product: Product,
    *,
    option_names: list[str],
    rows: list[VariantInput],
    field_prefix: str = "variants",
) -> None:
    names = [n.strip() for n in option_names if n and n.strip()]
    if len(names) > MAX_OPTIONS:
        raise InvalidInput(f"a product has at most {MAX_OPTIONS} options", field="options")
    if len({n.lower() for n in names}) != len(names):
        raise InvalidInput("option names must differ from each other", field="options")
    kept = [(i, row) for i, row in enumerate(rows) if not row.remove]
    if not kept:
        raise InvalidInput("a product needs at least one variant", field=field_prefix)
    _check_rows(session, product, names, kept, field_prefix)

    options = _sync_options(session, product, names)
    existing = {v.id: v for v in product.variants}
    for position, (i, row) in enumerate(kept, start=1):
        variant = existing.pop(row.id, None) if row.id else None
        if row.id and variant is None:
            raise InvalidInput(
                f"variant {row.id} does not belong to this product", field=f"{field_prefix}-{i}-id"
            )
        if variant is None:
            variant = Variant(sku=row.sku, price=row.price)
            product.variants.append(variant)
        values = [_value(option, row.options[n].strip()) for n, option in enumerate(options)]
        variant.sku = row.sku.strip()
        variant.title = row.title.strip() or (" / ".join(v.value for v in values) if values else "Default")
        variant.position = position
        variant.price = row.price
        variant.compare_at_price = row.compare_at_price
        variant.weight_grams = row.weight_grams
        variant.barcode = row.barcode.strip()
        variant.requires_shipping = row.requires_shipping
        variant.taxable = row.taxable
        variant.inventory_policy = row.inventory_policy
        variant.option_values = values
        variant.image = _image_at(product, row.image, f"{field_prefix}-{i}-image")
    for variant in existing.values():
        product.variants.remove(variant)
    _drop_unused_values(product)
    session.flush()


def _image_at(product: Product, position: int | None, field_name: str) -> ProductImage | None:
    if position is None:
        return None
    image = min((i for i in product.images if i.position == position), key=lambda i: i.id or 0, default=None)
    if image is None:
        raise InvalidInput(f"the product has no image at position {position}", field=field_name)
    return image


def _check_rows(
    session: Session, product: Product, names: list[str], kept: list[tuple[int, VariantInput]], prefix: str
) -> None:
    seen_skus: dict[str, int] = {}
    seen_combos: set[tuple[str, ...]] = set()
    for i, row in kept:
        sku = row.sku.strip()
        if not sku:
            raise InvalidInput(f"variant row {i + 1}: SKU is required", field=f"{prefix}-{i}-sku")
        if sku in seen_skus:
            raise InvalidInput(f"SKU {sku} is given twice", field=f"{prefix}-{i}-sku")
        seen_skus[sku] = i
        values = [v.strip() for v in row.options[: len(names)]]
        values += [""] * (len(names) - len(values))
        missing = [names[n] for n, v in enumerate(values) if not v]
        if missing:
            raise InvalidInput(
                f"variant {sku}: choose a value for {', '.join(missing)}", field=f"{prefix}-{i}-options"
            )
        combo = tuple(v.lower() for v in values)
        if combo in seen_combos:
            raise InvalidInput(
                f"variant {sku}: another variant has the same options", field=f"{prefix}-{i}-options"
            )
        seen_combos.add(combo)
        row.options = values
    taken = session.execute(
        select(Variant.sku, Variant.product_id).where(Variant.sku.in_(list(seen_skus)))
    ).all()
    for sku, owner in taken:
        if owner != product.id:
            raise InvalidInput(
                f"SKU {sku} is already used by another product", field=f"{prefix}-{seen_skus[sku]}-sku"
            )


def _sync_options(session: Session, product: Product, names: list[str]) -> list[ProductOption]:
    by_position = {o.position: o for o in product.options}
    result = []
    for position, name in enumerate(names, start=1):
        option = by_position.pop(position, None)
        if option is None:
            option = ProductOption(name=name, position=position)
            product.options.append(option)
        option.name = name
        result.append(option)
    for option in by_position.values():
        product.options.remove(option)
    session.flush()
    return result


def _value(option: ProductOption, text: str) -> ProductOptionValue:
    for value in option.values:
        if value.value.lower() == text.lower():
            value.value = text
            return value
    value = ProductOptionValue(value=text, position=len(option.values) + 1)
    option.values.append(value)
    return value


def _drop_unused_values(product: Product) -> None:
    used = {id(v) for variant in product.variants for v in variant.option_values}
    for option in product.options:
        for value in list(option.values):
            if id(value) not in used:
                option.values.remove(value)
