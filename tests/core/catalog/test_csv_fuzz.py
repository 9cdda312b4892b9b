"""Whatever a spreadsheet holds, an import either applies it whole or reports rows: never a
crash, never half a catalog."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.core.catalog import csv_format as f
from shop.core.catalog.csv_import import FileRejected, import_products
from shop.core.catalog.models import Product, Variant
from tests.core.catalog.catalog_dump import dump_catalog, fixture_bytes

# Per column: values that are right, then values that are wrong; most examples draw right ones.
CELLS: dict[str, tuple[list[str], list[str]]] = {
    f.HANDLE: (["tee", "mug", "classic-tee", "Tee"], ["", "bad handle"]),
    f.TITLE: (["Tee", "Mug – large", ""], ["x" * 300]),  # noqa: RUF001
    f.OPTION_NAMES[0]: (["", "Color", "Title", "Size"], []),
    f.OPTION_VALUES[0]: (["", "Black", "Default Title", "White"], []),
    f.OPTION_NAMES[1]: (["", "Size"], []),
    f.OPTION_VALUES[1]: (["", "S", "M"], []),
    f.SKU: (["", "A", "B", "TEE-BLK-S", "MUG-350"], []),
    f.PRICE: (["10", "9.99"], ["", "12,5x", "-1", "0.001"]),
    f.COMPARE_AT: (["", "20.00"], ["abc"]),
    f.GRAMS: (["", "100"], ["1.5", "-3"]),
    f.QTY: (["", "0", "5"], ["-2", "many"]),
    f.POLICY: (["", "deny", "continue"], ["never"]),
    f.PUBLISHED: (["", "TRUE", "false"], ["yes"]),
    f.STATUS: (["", "active", "draft"], ["gone"]),
    f.IMAGE_SRC: (["", "https://cdn.example/a.jpg", "https://cdn.example/b.jpg"], ["ftp://x/y"]),
    f.IMAGE_POSITION: (["", "1", "2"], ["0"]),
    f.VARIANT_IMAGE: (["", "https://cdn.example/a.jpg", "https://cdn.example/c.jpg"], ["nope"]),
}
COLUMNS = list(CELLS)


def cell(good: list[str], bad: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(good) if not bad else st.one_of(*[st.sampled_from(good)] * 9, st.sampled_from(bad))


def fixture_rows() -> list[dict[str, str]]:
    text = fixture_bytes("shopify_products.csv").decode("utf-8")
    return [{c: row.get(c, "") for c in COLUMNS} for row in csv.DictReader(io.StringIO(text, newline=""))]


@st.composite
def mutated_fixture(draw: st.DrawFn) -> list[dict[str, str]]:
    """The Shopify fixture with a few cells changed and rows dropped: often still valid."""
    data = [row for row in fixture_rows() if draw(st.integers(0, 5))]
    for _ in range(draw(st.integers(0, 3))):
        if data:
            row = draw(st.sampled_from(data))
            column = draw(st.sampled_from(COLUMNS))
            row[column] = draw(cell(*CELLS[column]))
    return data


rows = st.one_of(
    st.lists(st.fixed_dictionaries({c: cell(*v) for c, v in CELLS.items()}), max_size=5),
    mutated_fixture(),
)


def render(data: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(data)
    return out.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=rows)
def test_any_file_imports_whole_or_not_at_all(session: Session, data: list[dict[str, str]]) -> None:
    outer = session.begin_nested()
    try:
        assert import_products(session, fixture_bytes("shopify_products.csv"), currency="EUR").ok
        before = dump_catalog(session)
        try:
            result = import_products(session, render(data), currency="EUR")
        except FileRejected:  # pragma: no cover - every header here is a product CSV
            raise AssertionError("a CSV with a Handle column was rejected as a whole") from None
        event("refused" if result.errors else "imported")
        if result.errors:
            assert not result.imported
            assert dump_catalog(session) == before
            assert all(e.row >= 2 and e.column and e.message for e in result.errors)
        else:
            assert result.imported
            handles = {p["handle"] for p in dump_catalog(session)}
            assert {r[f.HANDLE].strip().lower() for r in data if any(r.values())} <= handles
            assert session.scalar(select(func.count(Product.id))) == len(handles)
            skus = session.scalars(select(Variant.sku)).all()
            assert len(skus) == len(set(skus))
    finally:
        outer.rollback()
        # Each example starts from an empty identity map, as each real import starts in a unit of
        # work of its own: rows the rollback undid free their ids for reuse, and an object of an
        # earlier example still alive under such an id made the next flush warn (SAWarning,
        # "Identity map already had an identity"), depending on when it was collected.
        session.expunge_all()
