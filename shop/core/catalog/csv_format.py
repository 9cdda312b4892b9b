"""Shopify's product CSV: its columns, and reading one cell into plain data.

Tolerant where Shopify is (header case and spacing, column order, extra columns,
TRUE/true), strict about values: a cell that cannot mean what its column says is
a `CellError` naming why, never a guess.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from shop.core.catalog.models import InventoryPolicy, ProductStatus
from shop.core.money import Money, exponent

HANDLE = "Handle"
TITLE = "Title"
BODY = "Body (HTML)"
VENDOR = "Vendor"
CATEGORY = "Product Category"
TYPE = "Type"
TAGS = "Tags"
PUBLISHED = "Published"
OPTION_NAMES = ("Option1 Name", "Option2 Name", "Option3 Name")
OPTION_VALUES = ("Option1 Value", "Option2 Value", "Option3 Value")
SKU = "Variant SKU"
GRAMS = "Variant Grams"
TRACKER = "Variant Inventory Tracker"
QTY = "Variant Inventory Qty"
POLICY = "Variant Inventory Policy"
PRICE = "Variant Price"
COMPARE_AT = "Variant Compare At Price"
REQUIRES_SHIPPING = "Variant Requires Shipping"
TAXABLE = "Variant Taxable"
BARCODE = "Variant Barcode"
IMAGE_SRC = "Image Src"
IMAGE_POSITION = "Image Position"
IMAGE_ALT = "Image Alt Text"
SEO_TITLE = "SEO Title"
SEO_DESCRIPTION = "SEO Description"
VARIANT_IMAGE = "Variant Image"
WEIGHT_UNIT = "Variant Weight Unit"
WEIGHT = "Variant Weight"  # not Shopify's; some tools write a weight in the unit instead of grams
STATUS = "Status"

# What export writes, in Shopify's order.
EXPORT_COLUMNS: tuple[str, ...] = (
    HANDLE,
    TITLE,
    BODY,
    VENDOR,
    TYPE,
    TAGS,
    PUBLISHED,
    OPTION_NAMES[0],
    OPTION_VALUES[0],
    OPTION_NAMES[1],
    OPTION_VALUES[1],
    OPTION_NAMES[2],
    OPTION_VALUES[2],
    SKU,
    GRAMS,
    TRACKER,
    QTY,
    POLICY,
    PRICE,
    COMPARE_AT,
    REQUIRES_SHIPPING,
    TAXABLE,
    BARCODE,
    IMAGE_SRC,
    IMAGE_POSITION,
    IMAGE_ALT,
    SEO_TITLE,
    SEO_DESCRIPTION,
    VARIANT_IMAGE,
    WEIGHT_UNIT,
    STATUS,
)
# Columns import reads; any other column (Gift Card, Google Shopping / ..., Cost per item,
# Product Category, Variant Inventory Tracker, ...) is ignored and listed in the result.
IMPORT_COLUMNS: tuple[str, ...] = (*(c for c in EXPORT_COLUMNS if c != TRACKER), WEIGHT)
ALIASES = {"custom product type": TYPE}

# Products without options: Shopify writes this pair on their only variant.
DEFAULT_OPTION_NAME = "Title"
DEFAULT_OPTION_VALUE = "Default Title"

LIMITS = {
    TITLE: 255,
    VENDOR: 255,
    TYPE: 255,
    SEO_TITLE: 255,
    SEO_DESCRIPTION: 500,
    SKU: 100,
    BARCODE: 64,
    IMAGE_SRC: 2048,
    VARIANT_IMAGE: 2048,
    IMAGE_ALT: 500,
    **{name: 255 for name in OPTION_NAMES + OPTION_VALUES},
}
HANDLE_MAX = 200
_HANDLE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
_DECIMAL = re.compile(r"^-?\d+(?:\.\d+)?$")
_GRAMS_PER = {"g": Decimal(1), "kg": Decimal(1000), "lb": Decimal("453.59237"), "oz": Decimal("28.349523125")}
WEIGHT_UNITS = tuple(_GRAMS_PER)


class CellError(ValueError):
    """The cell's value cannot be used; the message says why, quoting the value."""


def header_key(name: str) -> str:
    return " ".join(name.split()).casefold()


_KNOWN = {header_key(c): c for c in IMPORT_COLUMNS} | ALIASES


def canonical_column(name: str) -> str | None:
    """The column `name` stands for, ignoring case and spacing; None for columns we don't read."""
    return _KNOWN.get(header_key(name))


def check_length(column: str, value: str) -> str:
    limit = LIMITS.get(column)
    if limit is not None and len(value) > limit:
        raise CellError(f"is {len(value)} characters long; at most {limit} fit")
    return value


def parse_handle(text: str) -> str:
    handle = text.strip().lower()
    if not handle:
        raise CellError("is empty; every row needs the handle of its product")
    if len(handle) > HANDLE_MAX:
        raise CellError(f"is {len(handle)} characters long; at most {HANDLE_MAX} fit")
    if not _HANDLE.match(handle):
        raise CellError(f'"{text.strip()}" is not a handle (letters, digits and single hyphens)')
    return handle


def parse_price(text: str, currency: str) -> int:
    value = text.strip()
    if not _DECIMAL.match(value):
        raise CellError(f'"{value}" is not a price')
    if value.startswith("-"):
        raise CellError(f'"{value}" is negative; a price cannot be')
    places = len(value.partition(".")[2])
    if places > exponent(currency):
        raise CellError(f'"{value}" has more than {exponent(currency)} decimals for {currency}')
    return Money.parse(value, currency).amount


def parse_optional_price(text: str, currency: str) -> int | None:
    return parse_price(text, currency) if text.strip() else None


def parse_bool(text: str, *, default: bool) -> bool:
    value = text.strip().casefold()
    if not value:
        return default
    if value in ("true", "false"):
        return value == "true"
    raise CellError(f'"{text.strip()}" is not TRUE or FALSE')


def parse_int(text: str, *, minimum: int | None = None) -> int:
    value = text.strip()
    # Spreadsheets turn 12 into "12.0"; a whole number with a zero fraction is still whole.
    match = re.fullmatch(r"(-?\d+)(?:\.0+)?", value)
    if not match:
        raise CellError(f'"{value}" is not a whole number')
    number = int(match.group(1))
    if minimum is not None and number < minimum:
        raise CellError(f'"{value}" is less than {minimum}')
    return number


def parse_grams(text: str) -> int:
    return parse_int(text, minimum=0) if text.strip() else 0


def parse_weight_unit(text: str) -> str:
    unit = text.strip().lower()
    if unit and unit not in _GRAMS_PER:
        raise CellError(f'"{text.strip()}" is not a weight unit (g, kg, lb or oz)')
    return unit or "g"


def to_grams(text: str, unit: str) -> int:
    """A weight written in `unit` (Variant Weight), rounded to whole grams."""
    value = text.strip()
    if not _DECIMAL.match(value) or value.startswith("-"):
        raise CellError(f'"{value}" is not a weight')
    try:
        grams = Decimal(value) * _GRAMS_PER[unit]
    except InvalidOperation:  # pragma: no cover - the pattern above admits only plain decimals
        raise CellError(f'"{value}" is not a weight') from None
    return int(grams.quantize(Decimal(1)))


def parse_policy(text: str) -> InventoryPolicy:
    value = text.strip().lower()
    if not value:
        return InventoryPolicy.DENY
    try:
        return InventoryPolicy(value)
    except ValueError:
        raise CellError(f'"{text.strip()}" is not deny or continue') from None


def parse_status(text: str) -> ProductStatus | None:
    value = text.strip().lower()
    if not value:
        return None
    try:
        return ProductStatus(value)
    except ValueError:
        raise CellError(f'"{text.strip()}" is not active, draft or archived') from None


def parse_url(text: str) -> str:
    url = text.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise CellError(f'"{url}" is not an http(s) URL')
    return url


def normalise_tags(text: str) -> str:
    """Comma-separated, trimmed, each tag once, in the order given."""
    seen: dict[str, None] = {}
    for tag in text.split(","):
        tag = " ".join(tag.split())
        if tag and tag.casefold() not in {t.casefold() for t in seen}:
            seen[tag] = None
    return ", ".join(seen)
