"""Read a Shopify product CSV into plain product specs, with every bad cell reported.

Nothing here touches the database: the result is what the file says, checked for
everything the file alone can tell (values, option names, duplicate SKUs and option
combinations). Rows are numbered as a spreadsheet shows them: the header is row 1, and
a quoted cell spanning several lines still counts as one row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import IO, Any

from shop.core.catalog import csv_format as f
from shop.core.catalog.csv_format import CellError
from shop.core.catalog.html import sanitize_description
from shop.core.catalog.models import InventoryPolicy
from shop.core.errors import InvalidInput

Source = bytes | str | IO[str] | IO[bytes]

# Read by nobody but expected in our own exports: not worth reporting as ignored.
_SILENT = {f.header_key(f.TRACKER)}
header_key = f.header_key

VARIANT_COLUMNS = (
    *f.OPTION_VALUES,
    f.SKU,
    f.GRAMS,
    f.WEIGHT,
    f.QTY,
    f.POLICY,
    f.PRICE,
    f.COMPARE_AT,
    f.REQUIRES_SHIPPING,
    f.TAXABLE,
    f.BARCODE,
    f.VARIANT_IMAGE,
    f.WEIGHT_UNIT,
)


class FileRejected(InvalidInput):
    """The file as a whole cannot be read as a product CSV (not CSV, no Handle column...)."""

    code = "invalid-csv"


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(slots=True)
class VariantSpec:
    row: int
    sku: str  # "" when the file leaves it blank
    option_values: tuple[str, ...]
    fields: dict[str, Any]  # Variant attribute -> value, for the columns the file has
    inventory_qty: int | None  # None: leave stock alone
    image_url: str | None


@dataclass(slots=True)
class ImageSpec:
    row: int
    url: str
    position: int | None
    alt: str | None  # None: the file has no Image Alt Text column


@dataclass(slots=True)
class ProductSpec:
    handle: str
    row: int
    fields: dict[str, Any]  # Product attribute -> value, for the columns the file has
    published: bool | None
    option_names: tuple[str, ...]
    variants: list[VariantSpec] = field(default_factory=list)
    images: list[ImageSpec] = field(default_factory=list)


@dataclass(slots=True)
class ParsedFile:
    products: list[ProductSpec]
    errors: list[RowError]
    ignored_columns: list[str]
    columns: frozenset[str]
    rows: int


def read_products(source: Source, *, currency: str) -> ParsedFile:
    """Parse the whole file; raises FileRejected when it is not a product CSV at all."""
    text = _text(source)
    records = _records(text, _delimiter(text))
    try:
        header = next(records)
    except StopIteration:
        raise FileRejected("the file is empty") from None
    except csv.Error as exc:
        raise FileRejected(f"not a CSV file ({exc})") from None
    index, ignored = _columns(header)
    reader = _Reader(index, currency)
    number = 1
    try:
        for number, record in enumerate(records, start=2):
            reader.row(number, record)
    except csv.Error as exc:
        raise FileRejected(f"row {number + 1}: not valid CSV ({exc})") from None
    return ParsedFile(
        products=list(reader.products.values()),
        errors=reader.errors,
        ignored_columns=ignored,
        columns=frozenset(index),
        rows=number,
    )


def _text(source: Source) -> str:
    data = source.read() if not isinstance(source, bytes | str) else source
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FileRejected("the file is not UTF-8 text; save it as CSV (UTF-8)") from None
    text = data.removeprefix("\ufeff")
    if "\x00" in text:
        raise FileRejected("not a CSV file (it holds binary data)")
    return text


def _records(text: str, delimiter: str = ",") -> Any:
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def _delimiter(text: str) -> str:
    """Commas, as Shopify writes; but spreadsheets in many locales save with semicolons,
    and some tools with tabs: whichever makes a header with a Handle column."""
    for delimiter in (",", ";", "\t"):
        try:
            header: list[str] = next(_records(text, delimiter), [])
        except csv.Error:
            continue
        if any(f.canonical_column(name) == f.HANDLE for name in header):
            return delimiter
    return ","


def _columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    index: dict[str, int] = {}
    ignored: list[str] = []
    for position, name in enumerate(header):
        column = f.canonical_column(name)
        if column is None:
            if name.strip() and header_key(name) not in _SILENT:
                ignored.append(name.strip())
            continue
        if column in index:
            raise FileRejected(f'column "{name.strip()}" appears twice in the header')
        index[column] = position
    if f.HANDLE not in index:
        first = ", ".join(h.strip() for h in header[:4]) or "nothing"
        raise FileRejected(
            f"no Handle column, so this is not a product CSV in Shopify's format (header: {first})"
        )
    return index, ignored


class _Reader:
    """Turns records into ProductSpecs, one handle at a time, collecting errors."""

    def __init__(self, index: dict[str, int], currency: str) -> None:
        self.index = index
        self.currency = currency
        self.products: dict[str, ProductSpec] = {}
        self.errors: list[RowError] = []
        self.sku_rows: dict[str, int] = {}
        self.combinations: dict[tuple[str, tuple[str, ...]], int] = {}
        self.default_title: set[str] = set()

    def has(self, column: str) -> bool:
        return column in self.index

    def row(self, number: int, record: list[str]) -> None:
        cells = {c: (record[i] if i < len(record) else "") for c, i in self.index.items()}
        if not any(value.strip() for value in cells.values()):
            return  # a blank line, as spreadsheets leave at the end
        errors_before = len(self.errors)
        handle = self.cell(number, f.HANDLE, lambda: f.parse_handle(cells[f.HANDLE]))
        if handle is None:
            return
        product = self.products.get(handle)
        if product is None:
            product = self.product(number, handle, cells)
            self.products[handle] = product
        else:
            self.check_option_names(number, product, cells)
        if any(cells.get(c, "").strip() for c in VARIANT_COLUMNS):
            variant = self.variant(number, product, cells)
            if variant is not None and len(self.errors) == errors_before:
                product.variants.append(variant)
        image = self.image(number, cells)
        if image is not None and image.url not in {i.url for i in product.images}:
            product.images.append(image)

    def cell(self, number: int, column: str, parse: Callable[[], Any]) -> Any:
        try:
            return parse()
        except CellError as exc:
            self.errors.append(RowError(number, column, str(exc)))
            return None

    def text(self, number: int, cells: dict[str, str], column: str) -> str | None:
        value = " ".join(cells.get(column, "").split())
        return self.cell(number, column, lambda: f.check_length(column, value))

    # -- the first row of a product -----------------------------------------------------

    def product(self, number: int, handle: str, cells: dict[str, str]) -> ProductSpec:
        fields: dict[str, Any] = {}
        if self.has(f.TITLE):
            title = self.text(number, cells, f.TITLE)
            if title == "":
                self.errors.append(RowError(number, f.TITLE, "is empty; a product needs a title"))
            fields["title"] = title
        if self.has(f.BODY):
            fields["description"] = sanitize_description(cells[f.BODY])
        for column, attribute in (
            (f.VENDOR, "vendor"),
            (f.TYPE, "product_type"),
            (f.SEO_TITLE, "seo_title"),
            (f.SEO_DESCRIPTION, "seo_description"),
        ):
            if self.has(column):
                fields[attribute] = self.text(number, cells, column)
        if self.has(f.TAGS):
            fields["tags"] = f.normalise_tags(cells[f.TAGS])
        published = None
        if self.has(f.PUBLISHED):
            published = self.cell(
                number, f.PUBLISHED, lambda: f.parse_bool(cells[f.PUBLISHED], default=False)
            )
        if self.has(f.STATUS):
            status = self.cell(number, f.STATUS, lambda: f.parse_status(cells[f.STATUS]))
            if status is not None:
                fields["status"] = status
        names = self.option_names(number, cells)
        if names == (f.DEFAULT_OPTION_NAME,) and cells.get(f.OPTION_VALUES[0], "").strip() in (
            f.DEFAULT_OPTION_VALUE,
            "",
        ):
            self.default_title.add(handle)
            names = ()
        return ProductSpec(handle=handle, row=number, fields=fields, published=published, option_names=names)

    def option_names(self, number: int, cells: dict[str, str]) -> tuple[str, ...]:
        names = [self.text(number, cells, column) or "" for column in f.OPTION_NAMES]
        while names and not names[-1]:
            names.pop()
        for column, name in zip(f.OPTION_NAMES, names, strict=False):
            if not name:
                self.errors.append(RowError(number, column, "is empty but a later option is named"))
        lowered = [n.casefold() for n in names]
        for position, name in enumerate(lowered):
            if name and name in lowered[:position]:
                self.errors.append(
                    RowError(number, f.OPTION_NAMES[position], f'"{names[position]}" names two options')
                )
        return tuple(names)

    # -- following rows -----------------------------------------------------------------

    def check_option_names(self, number: int, product: ProductSpec, cells: dict[str, str]) -> None:
        expected = product.option_names or (
            (f.DEFAULT_OPTION_NAME,) if product.handle in self.default_title else ()
        )
        for position, column in enumerate(f.OPTION_NAMES):
            given = " ".join(cells.get(column, "").split())
            if not given:
                continue
            wanted = expected[position] if position < len(expected) else None
            if wanted is None or given.casefold() != wanted.casefold():
                shown = f'"{wanted}"' if wanted else "no such option"
                self.errors.append(
                    RowError(number, column, f'"{given}" does not match the product\'s first row ({shown})')
                )

    # -- variants and images ------------------------------------------------------------

    def variant(self, number: int, product: ProductSpec, cells: dict[str, str]) -> VariantSpec | None:
        values = self.option_values(number, product, cells)
        sku = self.text(number, cells, f.SKU) or ""
        if sku:
            first = self.sku_rows.setdefault(sku, number)
            if first != number:
                self.errors.append(RowError(number, f.SKU, f'"{sku}" is already used on row {first}'))
        if values is not None:
            first = self.combinations.setdefault((product.handle, values), number)
            if first != number:
                shown = " / ".join(values) or f.DEFAULT_OPTION_VALUE
                self.errors.append(
                    RowError(
                        number,
                        f.OPTION_VALUES[0],
                        f'"{shown}" is already a variant of {product.handle} on row {first}',
                    )
                )
        fields = self.variant_fields(number, cells)
        policy = fields.get("inventory_policy")  # None: not in the file; checked on import
        qty = None
        if cells.get(f.QTY, "").strip():
            qty = self.cell(number, f.QTY, lambda: f.parse_int(cells[f.QTY]))
            if qty is not None and qty < 0 and policy == InventoryPolicy.DENY:
                self.errors.append(
                    RowError(number, f.QTY, f'"{qty}" is negative and the inventory policy is deny')
                )
        image_url = None
        if cells.get(f.VARIANT_IMAGE, "").strip():
            image_url = self.cell(
                number,
                f.VARIANT_IMAGE,
                lambda: f.check_length(f.VARIANT_IMAGE, f.parse_url(cells[f.VARIANT_IMAGE])),
            )
        if values is None:
            return None
        return VariantSpec(
            row=number, sku=sku, option_values=values, fields=fields, inventory_qty=qty, image_url=image_url
        )

    def option_values(
        self, number: int, product: ProductSpec, cells: dict[str, str]
    ) -> tuple[str, ...] | None:
        values: list[str] = []
        ok = True
        for position, column in enumerate(f.OPTION_VALUES):
            value = self.text(number, cells, column)
            if value is None:
                ok = False
                continue
            if position < len(product.option_names):
                if not value:
                    ok = False
                    self.errors.append(
                        RowError(
                            number,
                            column,
                            f"is empty; the product's option "
                            f'"{product.option_names[position]}" needs a value',
                        )
                    )
                values.append(value)
            elif value and not (
                position == 0 and product.handle in self.default_title and value == f.DEFAULT_OPTION_VALUE
            ):
                ok = False
                self.errors.append(
                    RowError(
                        number,
                        column,
                        f'"{value}" given, but the product has no option {position + 1} '
                        f"(name it in {f.OPTION_NAMES[position]} on the product's first row)",
                    )
                )
        return tuple(values) if ok else None

    def variant_fields(self, number: int, cells: dict[str, str]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.has(f.PRICE):
            if not cells[f.PRICE].strip():
                self.errors.append(RowError(number, f.PRICE, "is empty; every variant needs a price"))
            else:
                fields["price"] = self.cell(
                    number, f.PRICE, lambda: f.parse_price(cells[f.PRICE], self.currency)
                )
        if self.has(f.COMPARE_AT):
            fields["compare_at_price"] = self.cell(
                number, f.COMPARE_AT, lambda: f.parse_optional_price(cells[f.COMPARE_AT], self.currency)
            )
        unit = self.cell(number, f.WEIGHT_UNIT, lambda: f.parse_weight_unit(cells.get(f.WEIGHT_UNIT, "")))
        if cells.get(f.GRAMS, "").strip() or (self.has(f.GRAMS) and not cells.get(f.WEIGHT, "").strip()):
            fields["weight_grams"] = self.cell(number, f.GRAMS, lambda: f.parse_grams(cells[f.GRAMS]))
        elif cells.get(f.WEIGHT, "").strip() and unit is not None:
            fields["weight_grams"] = self.cell(number, f.WEIGHT, lambda: f.to_grams(cells[f.WEIGHT], unit))
        if self.has(f.BARCODE):
            fields["barcode"] = self.text(number, cells, f.BARCODE)
        for column, attribute in ((f.REQUIRES_SHIPPING, "requires_shipping"), (f.TAXABLE, "taxable")):
            if self.has(column):
                parse = partial(f.parse_bool, cells[column], default=True)
                fields[attribute] = self.cell(number, column, parse)
        if self.has(f.POLICY):
            fields["inventory_policy"] = self.cell(number, f.POLICY, lambda: f.parse_policy(cells[f.POLICY]))
        return fields

    def image(self, number: int, cells: dict[str, str]) -> ImageSpec | None:
        src = cells.get(f.IMAGE_SRC, "").strip()
        if not src:
            for column in (f.IMAGE_POSITION, f.IMAGE_ALT):
                if cells.get(column, "").strip():
                    self.errors.append(RowError(number, column, "is given without an Image Src"))
            return None
        url = self.cell(number, f.IMAGE_SRC, lambda: f.check_length(f.IMAGE_SRC, f.parse_url(src)))
        position = None
        if cells.get(f.IMAGE_POSITION, "").strip():
            position = self.cell(
                number, f.IMAGE_POSITION, lambda: f.parse_int(cells[f.IMAGE_POSITION], minimum=1)
            )
        alt = self.text(number, cells, f.IMAGE_ALT) if self.has(f.IMAGE_ALT) else None
        if url is None:
            return None
        return ImageSpec(row=number, url=url, position=position, alt=alt)
