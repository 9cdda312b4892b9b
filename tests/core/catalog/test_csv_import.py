"""Importing Shopify product CSVs: creation, re-import, dry run, row errors, all or nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.core.audit.models import AuditLog
from shop.core.catalog.csv_import import FileRejected, ImportResult, import_products
from shop.core.catalog.csv_read import Source
from shop.core.catalog.models import InventoryPolicy, Product, ProductImage, Variant
from shop.core.inventory.models import Location, MovementReason, StockLevel, StockMovement
from shop.core.notifications.models import OutboxEvent
from shop.core.notifications.services import SITE_REBUILD
from tests.core.catalog.catalog_dump import dump_catalog, edit_csv, fixture_bytes

SHOPIFY = "shopify_products.csv"


def run(session: Session, data: Source, **options: Any) -> ImportResult:
    return import_products(session, data, currency="EUR", actor="tester@example.com", **options)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_imports_a_shopify_export(session: Session) -> None:
    result = run(session, fixture_bytes(SHOPIFY))

    assert result.ok and result.imported, result.errors
    assert (result.products_created, result.variants_created) == (4, 9)
    assert "Gift Card" in result.ignored_columns and "Cost per item" in result.ignored_columns
    catalog = {p["handle"]: p for p in dump_catalog(session)}

    tee = catalog["classic-tee"]
    assert tee["title"] == "Classic Tee"
    assert (tee["vendor"], tee["type"], tee["tags"]) == (
        "Acme Apparel",
        "T-Shirts",
        "cotton, summer, Bestseller",
    )
    assert (tee["status"], tee["published"]) == ("active", True)
    assert tee["seo"] == ("Classic Tee – organic cotton", "Our heavyweight organic tee.")  # noqa: RUF001
    assert tee["options"] == [("Color", ["Black", "White"]), ("Size", ["S", "M"])]
    assert [v["sku"] for v in tee["variants"]] == ["TEE-BLK-S", "TEE-BLK-M", "TEE-WHT-S", "TEE-WHT-M"]
    first = tee["variants"][0]
    assert first["values"] == ("Black", "S") and first["title"] == "Black / S"
    assert (first["price"], first["compare_at"], first["grams"]) == (2400, 2900, 180)
    assert first["barcode"] == "0012345678905" and first["on_hand"] == 12
    assert tee["variants"][3]["price"] == 2650
    # Three images, in Image Position order; both black variants show the black one, both
    # white ones the white one (a Variant Image shared by several variants).
    assert [(i[2], i[3]) for i in tee["images"]] == [
        (1, "Classic Tee in black"),
        (2, "Classic Tee in white"),
        (3, "Back print"),
    ]
    assert [v["image"] for v in tee["variants"]] == [1, 1, 2, 2]
    assert all(i[0].startswith("https://cdn.shopify.com/") and i[1] is None for i in tee["images"])

    mug = catalog["ceramic-mug"]  # "Title" / "Default Title": a product without options
    assert mug["options"] == []
    assert [(v["sku"], v["title"], v["values"]) for v in mug["variants"]] == [
        ("MUG-350", "Default Title", ())
    ]
    assert [i[3] for i in mug["images"]] == ["Mug, front", "Mug, side", ""]

    art = catalog["art-print"]
    assert (art["status"], art["published"]) == ("draft", False)
    a3, a2 = art["variants"]
    assert (a3["policy"], a3["on_hand"], a3["taxable"], a3["grams"]) == ("continue", -2, False, 0)
    assert a3["price"] == 1900
    assert a2["sku"] == "ART-PRINT-A2"  # blank SKU: made from the handle and option values
    assert catalog["gift-card"]["variants"][0]["shipping"] is False


def test_body_html_is_sanitised(session: Session) -> None:
    run(session, fixture_bytes(SHOPIFY))
    body = session.scalar(select(Product.description).where(Product.slug == "classic-tee"))
    assert body is not None
    assert "<script" not in body and "document.cookie" not in body
    assert "onclick" not in body and "javascript:" not in body
    assert "<strong>Pre-shrunk.</strong>" in body and "<h2>Organic cotton</h2>" in body


def test_stock_is_set_at_the_first_location_through_import_movements(session: Session) -> None:
    run(session, fixture_bytes(SHOPIFY))
    location = session.scalars(select(Location)).one()  # none existed, so a default one was made
    assert location.code == "DEFAULT"
    movements = session.scalars(select(StockMovement).order_by(StockMovement.id)).all()
    assert {m.reason for m in movements} == {MovementReason.IMPORT}
    assert {m.actor for m in movements} == {"tester@example.com"}
    # Zero-stock variants get a level but no movement; gift cards have no quantity at all.
    assert sorted(m.delta for m in movements) == [-2, 3, 5, 7, 12, 40]
    gift = session.scalars(select(Variant).where(Variant.sku == "GIFT-25")).one()
    assert session.scalars(select(StockLevel).where(StockLevel.variant_id == gift.id)).first() is None


def test_reimport_updates_in_place_without_duplicates(session: Session) -> None:
    warehouse = Location(name="Warehouse", code="WH", priority=0)
    session.add(warehouse)
    session.flush()
    run(session, fixture_bytes(SHOPIFY))
    before = dump_catalog(session)
    again = run(session, fixture_bytes(SHOPIFY))
    assert (again.products_created, again.products_updated, again.skipped) == (0, 0, 4)
    assert (again.variants_created, again.variants_updated, again.variants_unchanged) == (0, 0, 9)
    assert dump_catalog(session) == before
    assert count(session, Product) == 4 and count(session, Variant) == 9 and count(session, ProductImage) == 6

    def change(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for row in rows:
            if row["Variant SKU"] == "TEE-BLK-S":
                row["Title"] = "Classic Tee (2025)"
                row["Variant Price"] = "22.00"
                row["Variant Inventory Qty"] = "20"
            if row["Variant SKU"] == "TEE-BLK-M":  # a new size instead of M
                row["Option2 Value"] = "L"
                row["Variant SKU"] = "TEE-BLK-L"
        return [row for row in rows if row["Variant SKU"] != "TEE-WHT-M"]

    result = run(session, edit_csv(fixture_bytes(SHOPIFY), change))
    assert result.ok, result.errors
    assert (result.products_created, result.products_updated, result.skipped) == (0, 1, 3)
    assert (result.variants_created, result.variants_updated) == (1, 1)
    # Variants the file no longer lists stay, and are reported.
    assert result.variants_not_in_file == ["TEE-BLK-M", "TEE-WHT-M"]
    tee = next(p for p in dump_catalog(session) if p["handle"] == "classic-tee")
    assert tee["title"] == "Classic Tee (2025)"
    assert [(v["sku"], v["values"], v["price"]) for v in tee["variants"]] == [
        ("TEE-BLK-S", ("Black", "S"), 2200),
        ("TEE-BLK-L", ("Black", "L"), 2400),
        ("TEE-WHT-S", ("White", "S"), 2400),
        ("TEE-BLK-M", ("Black", "M"), 2400),
        ("TEE-WHT-M", ("White", "M"), 2650),
    ]
    # Option values reconciled: L added, M kept because unlisted variants still use it.
    assert tee["options"] == [("Color", ["Black", "White"]), ("Size", ["S", "L", "M"])]
    assert tee["variants"][0]["on_hand"] == 20
    deltas = session.scalars(
        select(StockMovement.delta).join(Variant).where(Variant.sku == "TEE-BLK-S").order_by(StockMovement.id)
    ).all()
    assert deltas == [12, 8]
    assert session.get(Location, warehouse.id) is not None and count(session, Location) == 1


def test_dry_run_changes_nothing_but_reports_what_it_would_do(session: Session) -> None:
    result = run(session, fixture_bytes(SHOPIFY), dry_run=True)
    assert result.ok and not result.imported and result.dry_run
    assert (result.products_created, result.variants_created) == (4, 9)
    for model in (Product, Variant, ProductImage, StockLevel, StockMovement, Location, AuditLog, OutboxEvent):
        assert count(session, model) == 0, model


def test_every_bad_row_is_reported_and_nothing_is_imported(session: Session) -> None:
    result = run(session, fixture_bytes("bad_products.csv"))
    assert not result.imported
    found = {(e.row, e.column) for e in result.errors}
    assert found == {
        (3, "Variant Price"),
        (4, "Variant Grams"),
        (5, "Variant Inventory Policy"),
        (6, "Variant SKU"),
        (7, "Option1 Name"),
        (8, "Option2 Value"),
        (9, "Published"),
        (10, "Image Src"),
        (11, "Handle"),
        (12, "Variant Price"),
        (12, "Variant Weight Unit"),
    }
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert messages[(3, "Variant Price")] == '"12,5x" is not a price'
    assert messages[(6, "Variant SKU")] == '"GOOD-RED" is already used on row 2'
    assert "more than 2 decimals" in messages[(12, "Variant Price")]
    assert result.products_created == 0
    assert count(session, Product) == 0 and count(session, AuditLog) == 0


def test_one_bad_row_blocks_the_whole_file(session: Session) -> None:
    def spoil(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[-1]["Variant Price"] = "-5.00"
        return rows

    result = run(session, edit_csv(fixture_bytes(SHOPIFY), spoil))
    assert [(e.row, e.column) for e in result.errors] == [(12, "Variant Price")]
    assert "negative" in result.errors[0].message
    assert count(session, Product) == 0 and count(session, StockMovement) == 0


def test_rows_are_counted_as_a_spreadsheet_shows_them(session: Session) -> None:
    # The first product's body spans four lines of the file, yet it is one row.
    def spoil(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        rows[1]["Variant Grams"] = "heavy"
        return rows

    result = run(session, edit_csv(fixture_bytes(SHOPIFY), spoil))
    assert [(e.row, e.column) for e in result.errors] == [(3, "Variant Grams")]


def test_database_conflicts_are_row_errors_too(session: Session) -> None:
    run(session, fixture_bytes(SHOPIFY))
    variant = session.scalars(select(Variant).where(Variant.sku == "TEE-BLK-S")).one()
    level = session.scalars(select(StockLevel).where(StockLevel.variant_id == variant.id)).one()
    level.allocated = 5  # promised to orders
    session.flush()

    def conflict(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        for row in rows:
            if row["Variant SKU"] == "TEE-BLK-S":
                row["Variant Inventory Qty"] = "2"
            if row["Variant SKU"] == "GIFT-50":
                row["Variant SKU"] = "MUG-350"  # belongs to another product
        return [row for row in rows if row["Handle"] != "ceramic-mug"]

    result = run(session, edit_csv(fixture_bytes(SHOPIFY), conflict))
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert messages[(9, "Variant SKU")] == '"MUG-350" belongs to the product "ceramic-mug"'
    assert not result.imported
    # Stock checks run once the file is otherwise sound.
    result = run(
        session,
        edit_csv(
            fixture_bytes(SHOPIFY),
            lambda rows: [
                {**r, "Variant Inventory Qty": "2"} if r["Variant SKU"] == "TEE-BLK-S" else r for r in rows
            ],
        ),
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "Variant Inventory Qty")]
    assert "5 units promised to orders" in result.errors[0].message
    session.refresh(level)
    assert level.on_hand == 12


def test_dropping_an_option_still_used_by_unlisted_variants_is_refused(session: Session) -> None:
    run(session, fixture_bytes(SHOPIFY))

    def rename(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        kept = [r for r in rows if r["Variant SKU"] != "TEE-WHT-M"]
        for row in kept:
            if row["Handle"] == "classic-tee" and row["Option1 Name"]:
                row["Option1 Name"] = "Colour"
        return kept

    result = run(session, edit_csv(fixture_bytes(SHOPIFY), rename))
    assert [(e.row, e.column) for e in result.errors] == [(2, "Option1 Name")]
    assert "TEE-WHT-M" in result.errors[0].message


def test_switching_to_deny_needs_non_negative_stock(session: Session) -> None:
    run(session, fixture_bytes(SHOPIFY))

    def deny(rows: list[dict[str, str]], qty: str) -> list[dict[str, str]]:
        for row in rows:
            if row["Variant SKU"] == "PRINT-A3":
                row["Variant Inventory Policy"] = "deny"
                row["Variant Inventory Qty"] = qty
        return rows

    refused = run(session, edit_csv(fixture_bytes(SHOPIFY), lambda rows: deny(rows, "")))
    assert [(e.row, e.column) for e in refused.errors] == [(9, "Variant Inventory Policy")]
    accepted = run(session, edit_csv(fixture_bytes(SHOPIFY), lambda rows: deny(rows, "4")))
    assert accepted.ok, accepted.errors
    variant = session.scalars(select(Variant).where(Variant.sku == "PRINT-A3")).one()
    level = session.scalars(select(StockLevel).where(StockLevel.variant_id == variant.id)).one()
    assert (variant.inventory_policy, level.on_hand, level.allow_negative) == (InventoryPolicy.DENY, 4, False)


def test_one_audit_row_per_import_and_a_rebuild_when_the_catalog_changed(session: Session) -> None:
    run(session, fixture_bytes(SHOPIFY), filename="products.csv")
    assert session.scalars(select(OutboxEvent.topic)).all() == [SITE_REBUILD]
    run(session, fixture_bytes(SHOPIFY), filename="products.csv")  # nothing changes: no rebuild
    assert session.scalars(select(OutboxEvent.topic)).all() == [SITE_REBUILD]
    entry = session.scalars(select(AuditLog).order_by(AuditLog.id)).first()
    assert entry is not None
    assert (entry.actor, entry.action, entry.object_type) == (
        "tester@example.com",
        "import_products",
        "product",
    )
    assert entry.changes is not None
    assert entry.changes["file"] == "products.csv" and entry.changes["products_created"] == 4


@pytest.mark.parametrize("source", ["bytes", "text", "text stream", "binary stream"])
def test_accepts_bytes_text_and_streams_with_a_bom(session: Session, source: str) -> None:
    data = "\ufeff".encode() + fixture_bytes(SHOPIFY)
    given: object = {
        "bytes": data,
        "text": data.decode("utf-8"),
        "text stream": io.StringIO(data.decode("utf-8"), newline=""),
        "binary stream": io.BytesIO(data),
    }[source]
    result = run(session, given)  # type: ignore[arg-type]  # any of the Source kinds
    assert result.ok and result.products_created == 4


def test_headers_in_any_order_and_case_and_booleans_in_any_case(session: Session) -> None:
    data = (
        "variant price,TITLE,  Handle ,published,Variant Requires Shipping,Status\n"
        "9.5,Socks,socks,true,False,\n"
    )
    result = run(session, data)
    assert result.ok, result.errors
    product = session.scalars(select(Product)).one()
    assert (product.slug, product.status.value, product.published_at is not None) == ("socks", "active", True)
    assert (product.variants[0].price, product.variants[0].requires_shipping) == (950, False)


def test_weights_in_other_units_become_grams(session: Session) -> None:
    data = (
        "Handle,Title,Option1 Name,Option1 Value,Variant SKU,Variant Price,"
        "Variant Weight,Variant Weight Unit\n"
        "flour,Flour,Size,1 kg,FL-1,2.00,1.2,kg\n"
        "flour,,,1 lb,FL-2,1.00,1,lb\n"
        "flour,,,8 oz,FL-3,0.80,8,oz\n"
    )
    result = run(session, data)
    assert result.ok, result.errors
    grams = session.scalars(select(Variant.weight_grams).order_by(Variant.position)).all()
    assert grams == [1200, 454, 227]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not UTF-8"),
        (b"name,price\nsocks,3\n", "no Handle column"),
        (b"Handle,Title,Handle\n", "appears twice"),
        (b"Handle,Title\nsocks,\x00\n", "binary"),
    ],
)
def test_a_file_that_is_no_product_csv_is_refused(session: Session, data: bytes, reason: str) -> None:
    with pytest.raises(FileRejected, match=reason):
        run(session, data)
    assert count(session, Product) == 0


def test_a_file_of_product_fields_only_touches_nothing_else(session: Session) -> None:
    run(session, fixture_bytes(SHOPIFY))
    before = {p["handle"]: p for p in dump_catalog(session)}
    result = run(session, "Handle,Body (HTML)\nclassic-tee,<p>New <b>copy</b><script>x()</script></p>\n")
    assert result.ok, result.errors
    assert (result.products_updated, result.variants_updated, result.variants_not_in_file) == (1, 0, [])
    after = {p["handle"]: p for p in dump_catalog(session)}
    assert after["classic-tee"]["description"] == "<p>New <b>copy</b></p>"
    assert {**after["classic-tee"], "description": None} == {**before["classic-tee"], "description": None}
    assert after["ceramic-mug"] == before["ceramic-mug"]


def test_negative_stock_for_an_existing_deny_variant_is_a_row_error(session: Session) -> None:
    run(session, fixture_bytes(SHOPIFY))
    # No policy column: the variant's own policy (deny) decides.
    result = run(
        session,
        "Handle,Variant SKU,Option1 Value,Option2 Value,Option1 Name,Option2 Name,"
        "Variant Inventory Qty\nclassic-tee,TEE-BLK-S,Black,S,Color,Size,-1\n",
    )
    assert [(e.row, e.column) for e in result.errors] == [(2, "Variant Inventory Qty")]
    assert "negative" in result.errors[0].message


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_files_from_spreadsheets(session: Session, delimiter: str) -> None:
    text = fixture_bytes(SHOPIFY).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    result = run(session, out.getvalue())
    assert result.ok, result.errors
    assert (result.products_created, result.variants_created) == (4, 9)
