"""Apply parsed product specs to the catalog: match by handle and SKU, reconcile, count.

Products are matched by handle, variants by SKU (a blank SKU matches the product's
variant with the same option values, or gets one made from the handle and values).
Variants the file does not list are left alone and reported. Checks that need the
database (a SKU owned by another product, stock already promised to orders, an option
the file drops but an unlisted variant still uses) become row errors like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from shop.core.catalog import csv_format as f
from shop.core.catalog.csv_read import ParsedFile, ProductSpec, RowError, VariantSpec
from shop.core.catalog.images import StoredImage
from shop.core.catalog.models import (
    InventoryPolicy,
    Product,
    ProductImage,
    ProductOption,
    ProductOptionValue,
    ProductStatus,
    Variant,
)
from shop.core.db import utcnow
from shop.core.inventory.stocktake import Stocktake

CHUNK = 500


@dataclass
class Counts:
    """What an import did (or, on a dry run, would do)."""

    products_created: int = 0
    products_updated: int = 0
    # Products in the file that were already exactly as the file says.
    skipped: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    variants_unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    # Image URLs recorded as ProductImage.source_url without being downloaded.
    images_kept: list[str] = field(default_factory=list)
    images_fetched: int = 0
    # SKUs of variants of imported products that the file does not list; left as they were.
    variants_not_in_file: list[str] = field(default_factory=list)


def assign(target: Any, values: dict[str, Any]) -> bool:
    """Set attributes that differ; True when any did."""
    changed = False
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed


def variant_values(variant: Variant) -> dict[str, str]:
    return {value.option.name.casefold(): value.value for value in variant.option_values}


class Applier:
    def __init__(
        self,
        session: Session,
        parsed: ParsedFile,
        *,
        actor: str,
        fetched: dict[str, StoredImage],
        media_base_url: str | None,
    ) -> None:
        self.session = session
        self.parsed = parsed
        self.fetched = fetched
        self.media_prefix = media_base_url.rstrip("/") + "/" if media_base_url else None
        self.counts = Counts()
        self.stock = Stocktake(session, actor=actor, errors=self.counts.errors)
        self.taken_skus: set[str] = {v.sku for p in parsed.products for v in p.variants if v.sku}
        # Per product, for the passes after the first flush: its spec, the model, the
        # variant matched to each row, whether the product itself was created / changed.
        self.done: list[tuple[ProductSpec, Product, dict[int, Variant], bool, bool]] = []
        # Python ids of model objects (those made here have no primary key yet).
        self.created_variants: set[int] = set()
        self.changed_variants: set[int] = set()

    def error(self, row: int, column: str, message: str) -> None:
        self.counts.errors.append(RowError(row, column, message))

    def run(self) -> Counts:
        # Flushes happen where this says, not whenever a query runs; queries here never
        # depend on unflushed rows (SKUs in the file are tracked in memory).
        with self.session.no_autoflush:
            return self._run()

    def _run(self) -> Counts:
        existing = self._load_products([p.handle for p in self.parsed.products])
        owners = self._sku_owners([v.sku for p in self.parsed.products for v in p.variants if v.sku])
        for spec in self.parsed.products:
            self._product(spec, existing.get(spec.handle), owners)
        if self.counts.errors:
            return self.counts
        self.session.flush()
        for spec, _product, matched, _created, _changed in self.done:
            for vs in spec.variants:
                if vs.inventory_qty is not None:
                    self.stock.count(matched[vs.row], vs.inventory_qty, row=vs.row)
        self.changed_variants |= self.stock.apply()
        if self.counts.errors:
            return self.counts
        for spec, product, matched, created, changed in self.done:
            images_changed = self._images(spec, product, matched)
            self._count(spec, matched, created, changed or images_changed)
        self.session.flush()
        return self.counts

    # -- loading ------------------------------------------------------------------------

    def _load_products(self, handles: list[str]) -> dict[str, Product]:
        found: dict[str, Product] = {}
        for start in range(0, len(handles), CHUNK):
            query = (
                select(Product)
                .where(Product.slug.in_(handles[start : start + CHUNK]))
                .options(
                    selectinload(Product.options).selectinload(ProductOption.values),
                    selectinload(Product.variants)
                    .selectinload(Variant.option_values)
                    .joinedload(ProductOptionValue.option),
                    selectinload(Product.images),
                )
            )
            found.update({p.slug: p for p in self.session.scalars(query)})
        return found

    def _sku_owners(self, skus: list[str]) -> dict[str, str]:
        owners: dict[str, str] = {}
        for start in range(0, len(skus), CHUNK):
            rows = self.session.execute(
                select(Variant.sku, Product.slug)
                .join(Product)
                .where(Variant.sku.in_(skus[start : start + CHUNK]))
            )
            owners.update({sku: slug for sku, slug in rows})
        return owners

    # -- products -----------------------------------------------------------------------

    def _product(self, spec: ProductSpec, product: Product | None, owners: dict[str, str]) -> None:
        created = product is None
        if product is None:
            if "title" not in spec.fields:
                self.error(spec.row, f.TITLE, "the file has no Title column and this product is new")
                return
            # Empty collections, so that reading them never lazy-loads from the database.
            product = Product(
                slug=spec.handle, title=spec.fields["title"], options=[], variants=[], images=[]
            )
            self.session.add(product)
        fields = dict(spec.fields)
        status = fields.pop("status", None)
        changed = assign(product, fields)
        if status is None and created:
            status = ProductStatus.ACTIVE if spec.published else ProductStatus.DRAFT
        if status is not None:
            changed |= assign(product, {"status": status})
        if spec.published is not None and spec.published != (product.published_at is not None):
            product.published_at = utcnow() if spec.published else None
            changed = True
        if not spec.variants and not spec.option_names:
            # A file of product fields only (say Handle and Body (HTML)): variants and
            # options are not what it imports, so they stay exactly as they are.
            self.done.append((spec, product, {}, created, changed))
            return
        matched = self._match_variants(spec, product, owners)
        if matched is None:
            return
        changed |= self._options(spec, product, matched)
        self.done.append((spec, product, matched, created, changed))

    def _count(self, spec: ProductSpec, matched: dict[int, Variant], created: bool, changed: bool) -> None:
        c = self.counts
        variants_changed = False
        for variant_spec in spec.variants:
            variant = matched[variant_spec.row]
            if id(variant) in self.created_variants:
                c.variants_created += 1
            elif id(variant) in self.changed_variants:
                c.variants_updated += 1
                variants_changed = True
            else:
                c.variants_unchanged += 1
        if created:
            c.products_created += 1
        elif changed or variants_changed:
            c.products_updated += 1
        else:
            c.skipped += 1

    # -- variants -----------------------------------------------------------------------

    def _match_variants(
        self, spec: ProductSpec, product: Product, owners: dict[str, str]
    ) -> dict[int, Variant] | None:
        names = [n.casefold() for n in spec.option_names]
        by_sku = {v.sku: v for v in product.variants}
        found: dict[int, Variant | None] = {}  # row -> existing variant, None: to be made
        claimed: set[int] = set()
        ok = True
        for vs in spec.variants:
            variant = by_sku.get(vs.sku) if vs.sku else None
            if vs.sku and variant is None and owners.get(vs.sku) not in (None, spec.handle):
                self.error(vs.row, f.SKU, f'"{vs.sku}" belongs to the product "{owners[vs.sku]}"')
                ok = False
                continue
            if variant is None and not vs.sku:
                variant = self._same_options(product, names, vs, claimed)
            if variant is not None:
                claimed.add(id(variant))
            found[vs.row] = variant
        absent = [v for v in product.variants if id(v) not in claimed]
        ok &= self._check_absent(spec, names, absent)
        if not ok:
            return None
        self.counts.variants_not_in_file.extend(v.sku for v in absent)
        matched: dict[int, Variant] = {}
        for position, vs in enumerate(spec.variants, start=1):
            variant = found[vs.row]
            if variant is None:
                if "price" not in vs.fields:
                    self.error(
                        vs.row, f.PRICE, "the file has no Variant Price column and this variant is new"
                    )
                    return None
                variant = Variant(
                    sku=vs.sku or self._make_sku(spec.handle, vs.option_values), option_values=[]
                )
                self.created_variants.add(id(variant))
            matched[vs.row] = variant
            if self._variant_fields(variant, vs, position):
                self.changed_variants.add(id(variant))
        ordered = list(matched.values())
        for position, variant in enumerate(absent, start=len(ordered) + 1):
            variant.position = position
        product.variants = ordered + absent
        return matched

    def _same_options(
        self, product: Product, names: list[str], vs: VariantSpec, claimed: set[int]
    ) -> Variant | None:
        for variant in product.variants:
            values = variant_values(variant)
            if (
                id(variant) not in claimed
                and len(values) == len(names)
                and tuple(values.get(n) for n in names) == vs.option_values
            ):
                return variant
        return None

    def _check_absent(self, spec: ProductSpec, names: list[str], absent: list[Variant]) -> bool:
        ok = True
        combos = {vs.option_values: vs.row for vs in spec.variants}
        for variant in absent:
            values = variant_values(variant)
            if sorted(values) != sorted(names):
                used = ", ".join(sorted(values)) or "no options"
                self.error(
                    spec.row,
                    f.OPTION_NAMES[0],
                    f"variant {variant.sku}, which is not in this file, uses {used}; "
                    "list it in the file or change it first",
                )
                ok = False
                continue
            combo = tuple(values[n] for n in names)
            if combo in combos:
                shown = " / ".join(combo) or f.DEFAULT_OPTION_VALUE
                self.error(
                    combos[combo],
                    f.OPTION_VALUES[0],
                    f'"{shown}" is already variant {variant.sku}, which is not in this file',
                )
                ok = False
        return ok

    def _variant_fields(self, variant: Variant, vs: VariantSpec, position: int) -> bool:
        fields = dict(vs.fields)
        fields["position"] = position
        fields["title"] = " / ".join(vs.option_values) or f.DEFAULT_OPTION_VALUE
        policy = fields.pop("inventory_policy", None)
        changed = assign(variant, fields)
        if policy is not None and policy != variant.inventory_policy:
            changed = True
            if variant.id is not None and policy == InventoryPolicy.DENY:
                # Stock may still be negative; the CHECK for deny must see the new stock first.
                self.stock.defer_policy(variant, policy, row=vs.row)
            else:
                variant.inventory_policy = policy
        return changed

    def _make_sku(self, handle: str, values: tuple[str, ...]) -> str:
        parts = [handle, *(re.sub(r"[^a-z0-9]+", "-", v.lower()).strip("-") for v in values)]
        base = "-".join(p for p in parts if p)[:90].upper()
        candidate, n = base, 1
        while candidate in self.taken_skus or self.session.scalar(
            select(Variant.id).where(Variant.sku == candidate)
        ):
            n += 1
            candidate = f"{base}-{n}"
        self.taken_skus.add(candidate)
        return candidate

    # -- options ------------------------------------------------------------------------

    def _options(self, spec: ProductSpec, product: Product, matched: dict[int, Variant]) -> bool:
        before = [(o.name, [v.value for v in o.values]) for o in product.options]
        absent = [v for v in product.variants if v not in matched.values()]
        by_name = {o.name.casefold(): o for o in product.options}
        options: list[ProductOption] = []
        for position, name in enumerate(spec.option_names, start=1):
            option = by_name.get(name.casefold()) or ProductOption(name=name, values=[])
            option.name, option.position = name, position
            wanted: list[str] = []
            for vs in spec.variants:
                if vs.option_values[position - 1] not in wanted:
                    wanted.append(vs.option_values[position - 1])
            for variant in absent:
                value = variant_values(variant)[name.casefold()]
                if value not in wanted:
                    wanted.append(value)
            existing = {v.value: v for v in option.values}
            option.values = [existing.get(value) or ProductOptionValue(value=value) for value in wanted]
            for value_position, value_row in enumerate(option.values, start=1):
                value_row.position = value_position
            options.append(option)
        product.options = options
        for vs in spec.variants:
            variant = matched[vs.row]
            values = [
                option.values[[v.value for v in option.values].index(value)]
                for option, value in zip(options, vs.option_values, strict=True)
            ]
            if {id(v) for v in variant.option_values} != {id(v) for v in values}:
                variant.option_values = values
                if variant.id is not None:
                    self.changed_variants.add(id(variant))
        return before != [(o.name, [v.value for v in o.values]) for o in options]

    # -- images -------------------------------------------------------------------------

    def _images(self, spec: ProductSpec, product: Product, matched: dict[int, Variant]) -> bool:
        if not spec.images and not any(vs.image_url for vs in spec.variants):
            return False
        wanted = sorted(enumerate(spec.images), key=lambda item: (item[1].position or 10**6, item[0]))
        urls = [image.url for _, image in wanted]
        alts = {image.url: image.alt for image in spec.images}
        for vs in spec.variants:
            if vs.image_url and vs.image_url not in urls:
                urls.append(vs.image_url)
        by_source = {i.source_url: i for i in product.images if i.source_url}
        by_file = {i.file: i for i in product.images if i.file is not None}
        changed = False
        ordered: list[ProductImage] = []
        for position, url in enumerate(urls, start=1):
            image = by_source.get(url) or self._own_media(url, by_file)
            if image is None:
                image = ProductImage(source_url=url)
                changed = True
            stored = self.fetched.get(url)
            if stored is not None and image.file is None:
                assign(
                    image,
                    {
                        "file": stored.file,
                        "sha256": stored.sha256,
                        "width": stored.width,
                        "height": stored.height,
                    },
                )
                self.counts.images_fetched += 1
            values: dict[str, Any] = {"position": position}
            if alts.get(url) is not None:
                values["alt"] = alts[url]
            changed |= assign(image, values)
            if image.file is None:
                self.counts.images_kept.append(url)
            ordered.append(image)
        rest = [i for i in product.images if i not in ordered]
        for position, image in enumerate(rest, start=len(ordered) + 1):
            changed |= assign(image, {"position": position})
        product.images = ordered + rest
        if f.VARIANT_IMAGE in self.parsed.columns:
            changed |= self._link_variants(spec, matched, ordered, urls)
        return changed

    def _own_media(self, url: str, by_file: dict[str, ProductImage]) -> ProductImage | None:
        # An export writes admin-uploaded images as URLs under the media base; match them back.
        if self.media_prefix and url.startswith(self.media_prefix):
            return by_file.get(url[len(self.media_prefix) :])
        return None

    def _link_variants(
        self, spec: ProductSpec, matched: dict[int, Variant], images: list[ProductImage], urls: list[str]
    ) -> bool:
        # Each listed variant shows the image its row names (several may share one), or none.
        changed = False
        for vs in spec.variants:
            variant = matched[vs.row]
            image = images[urls.index(vs.image_url)] if vs.image_url else None
            if variant.image is not image:
                variant.image = image
                changed = True
        return changed
