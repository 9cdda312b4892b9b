"""Import -> export -> import yields the same catalog; export is stable."""

from __future__ import annotations

import io
import string
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from shop.core.catalog.csv_export import export_products
from shop.core.catalog.csv_import import import_products
from shop.core.catalog.html import sanitize_description
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
from shop.core.inventory.models import Location, StockLevel
from tests.core.catalog.catalog_dump import dump_catalog, fixture_bytes

MEDIA = "https://shop.example/media"


def export(session: Session) -> str:
    out = io.StringIO()
    export_products(session, out, currency="EUR", media_base_url=MEDIA)
    return out.getvalue()


def test_import_export_import_gives_the_same_catalog(session: Session) -> None:
    assert import_products(session, fixture_bytes("shopify_products.csv"), currency="EUR").ok
    first = dump_catalog(session)
    text = export(session)

    nested = session.begin_nested()
    for product in session.query(Product).all():
        session.delete(product)
    session.flush()
    assert dump_catalog(session) == []
    result = import_products(session, text, currency="EUR")
    assert result.ok, result.errors
    assert dump_catalog(session) == first
    assert export(session) == text  # same catalog, same bytes
    nested.rollback()

    # Importing the export over the catalog it came from changes nothing.
    again = import_products(session, text, currency="EUR")
    assert (again.products_updated, again.variants_updated, again.skipped) == (0, 0, 4)
    assert dump_catalog(session) == first


def test_export_rows_follow_shopify_layout(session: Session) -> None:
    import_products(session, fixture_bytes("shopify_products.csv"), currency="EUR")
    lines = export(session).splitlines()
    assert lines[0].startswith("Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name")
    mug = [line for line in lines if line.startswith("ceramic-mug,")]
    # One variant, three images: the product row plus two image-only rows.
    assert len(mug) == 3
    assert ",Title,Default Title," in mug[0]
    assert mug[1].startswith("ceramic-mug,,,,,,,,,,,,,,") and "mug-side.png,2," in mug[1]


def test_uploaded_images_export_as_media_urls_and_match_back(session: Session) -> None:
    import_products(session, fixture_bytes("shopify_products.csv"), currency="EUR")
    product = session.query(Product).filter_by(slug="ceramic-mug").one()
    product.images.append(
        ProductImage(file="products/ab/abc.png", sha256="abc", width=10, height=10, position=4)
    )
    session.flush()
    text = export(session)
    assert f"{MEDIA}/products/ab/abc.png" in text
    before = dump_catalog(session)
    result = import_products(session, text, currency="EUR", media_base_url=MEDIA)
    assert result.ok and result.skipped == 4
    assert dump_catalog(session) == before


# -- property: any catalog the shop can hold survives export -> import ------------------

words = (
    st.text(alphabet=string.ascii_letters + string.digits + " -&'/éü€", min_size=1, max_size=20)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)
html = st.lists(
    st.sampled_from(
        [
            "<p>Soft & warm</p>",
            "<ul><li>one</li><li>two</li></ul>",
            "<b>bold</b>",
            '<a href="https://example.com">link</a>',
            "plain text",
            "<h2>Care</h2>",
        ]
    ),
    max_size=3,
).map(lambda parts: sanitize_description("".join(parts)))


@st.composite
def products(draw: Any, index: int) -> dict[str, Any]:
    names = draw(st.lists(words, max_size=3, unique_by=str.casefold))
    values = [draw(st.lists(words, min_size=1, max_size=3, unique=True)) for _ in names]
    combos: list[tuple[str, ...]] = [()]
    for option_values in values:
        combos = [(*c, v) for c in combos for v in option_values]
    chosen = draw(st.lists(st.sampled_from(combos), min_size=1, max_size=4, unique=True))
    # A CSV lists option values only through variants, in the order variants first use them.
    values = [list(dict.fromkeys(combo[i] for combo in chosen)) for i in range(len(names))]
    variants = [
        {
            "values": combo,
            "price": draw(st.integers(0, 10**7)),
            "compare_at": draw(st.none() | st.integers(0, 10**7)),
            "grams": draw(st.integers(0, 50_000)),
            "barcode": draw(st.text(alphabet=string.digits, max_size=13)),
            "shipping": draw(st.booleans()),
            "taxable": draw(st.booleans()),
            "policy": draw(st.sampled_from(list(InventoryPolicy))),
            "stock": draw(st.none() | st.integers(0, 500)),
            # Which of the product's images shows this variant: several variants may share one.
            "image": draw(st.none() | st.integers(0, 2)),
        }
        for combo in chosen
    ]
    return {
        "handle": f"product-{index}-{draw(st.sampled_from(['a', 'b-c', 'x1']))}",
        "title": draw(words),
        "description": draw(html),
        "vendor": draw(st.just("") | words),
        "tags": ", ".join(dict.fromkeys(draw(st.lists(words, max_size=3, unique_by=str.casefold)))),
        "status": draw(st.sampled_from(list(ProductStatus))),
        "published": draw(st.booleans()),
        "names": names,
        "values": values,
        "variants": variants,
        "images": draw(st.lists(words, max_size=3)),
    }


def build(session: Session, specs: list[dict[str, Any]]) -> None:
    location = Location(name="Main", code="MAIN")
    session.add(location)
    for spec in specs:
        options = [
            ProductOption(
                name=name,
                position=i + 1,
                values=[ProductOptionValue(value=v, position=j + 1) for j, v in enumerate(vals)],
            )
            for i, (name, vals) in enumerate(zip(spec["names"], spec["values"], strict=True))
        ]
        product = Product(
            slug=spec["handle"],
            title=spec["title"],
            description=spec["description"],
            vendor=spec["vendor"],
            tags=spec["tags"],
            status=spec["status"],
            published_at=utcnow() if spec["published"] else None,
            options=options,
        )
        for position, v in enumerate(spec["variants"], start=1):
            chosen = [
                next(x for x in o.values if x.value == value)
                for o, value in zip(options, v["values"], strict=True)
            ]
            variant = Variant(
                sku=f"{spec['handle']}-{position}".upper(),
                title=" / ".join(v["values"]) or "Default Title",
                position=position,
                price=v["price"],
                compare_at_price=v["compare_at"],
                weight_grams=v["grams"],
                barcode=v["barcode"],
                requires_shipping=v["shipping"],
                taxable=v["taxable"],
                inventory_policy=v["policy"],
                option_values=chosen,
            )
            product.variants.append(variant)
            if v["stock"] is not None:
                session.add(StockLevel(variant=variant, location=location, on_hand=v["stock"]))
        session.add(product)
        session.flush()
        images = [
            ProductImage(
                source_url=f"https://img.example/{spec['handle']}/{position}.jpg", alt=alt, position=position
            )
            for position, alt in enumerate(spec["images"], start=1)
        ]
        product.images.extend(images)
        for variant, v in zip(product.variants, spec["variants"], strict=True):
            if v["image"] is not None and v["image"] < len(images):
                variant.image = images[v["image"]]
    session.flush()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(catalog=st.integers(1, 3).flatmap(lambda n: st.tuples(*(products(i) for i in range(n)))))
def test_any_catalog_survives_export_then_import(
    session: Session, catalog: tuple[dict[str, Any], ...]
) -> None:
    built = session.begin_nested()
    try:
        build(session, list(catalog))
        expected = dump_catalog(session)
        text = export(session)
    finally:
        built.rollback()
    imported = session.begin_nested()
    try:
        result = import_products(session, text, currency="EUR")
        assert result.ok, result.errors
        assert dump_catalog(session) == expected
    finally:
        imported.rollback()
