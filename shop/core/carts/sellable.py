"""What a shopper can buy: variants with their product's title and status and live stock, in one query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler

from shop.core.carts.models import Cart, CartLine
from shop.core.catalog.models import InventoryPolicy, Product, ProductStatus, Variant
from shop.core.inventory.models import Location, StockLevel
from shop.core.pricing.calculator import LineInput
from shop.core.pricing.tables import PricingTables, read_tables, tables_columns, tables_params
from shop.core.pricing.tax import tax_regions


@dataclass(frozen=True, slots=True)
class SellableVariant:
    variant_id: int
    product_id: int
    sku: str
    title: str
    variant_title: str
    price: int
    compare_at_price: int | None
    taxable: bool
    requires_shipping: bool
    backorder: bool  # inventory policy continue: sells below zero
    for_sale: bool  # the product is active
    stock: int  # on hand minus allocated over active locations (negative with backorders)

    @property
    def available(self) -> int | None:
        """Units that can be bought now; None when there is no limit (backorders)."""
        return None if self.backorder else max(0, self.stock)

    def line(self, quantity: int) -> LineInput:
        return LineInput(
            variant_id=self.variant_id,
            sku=self.sku,
            unit_price=self.price,
            quantity=quantity,
            taxable=self.taxable,
            requires_shipping=self.requires_shipping,
        )


def _stock() -> Any:
    return (
        select(func.coalesce(func.sum(StockLevel.on_hand - StockLevel.allocated), 0))
        .join(Location, Location.id == StockLevel.location_id)
        .where(StockLevel.variant_id == Variant.id, Location.active.is_(True))
        .correlate(Variant)
        .scalar_subquery()
    )


def _columns() -> tuple[Any, ...]:
    return (
        Variant.id,
        Product.id,
        Variant.sku,
        Product.title,
        Variant.title,
        Variant.price,
        Variant.compare_at_price,
        Variant.taxable,
        Variant.requires_shipping,
        Variant.inventory_policy,
        Product.status,
        _stock(),
    )


_WIDTH = len(_columns())


def _variant(row: Any, offset: int = 0) -> SellableVariant:
    (
        variant_id,
        product_id,
        sku,
        title,
        variant_title,
        price,
        compare_at,
        taxable,
        ships,
        policy,
        status,
        stock,
    ) = row[offset : offset + _WIDTH]
    return SellableVariant(
        variant_id=variant_id,
        product_id=product_id,
        sku=sku,
        title=title,
        variant_title="" if variant_title == "Default" else variant_title,
        price=price,
        compare_at_price=compare_at,
        taxable=taxable,
        requires_shipping=ships,
        backorder=policy == InventoryPolicy.CONTINUE,
        for_sale=status == ProductStatus.ACTIVE,
        stock=int(stock),
    )


def _query() -> Select[Any]:
    return select(*_columns()).join(Product, Product.id == Variant.product_id)


# Built once: cart reads are the hottest path of the API, and building the statement
# (with its correlated stock subquery) costs more than running it.
_BY_SKU = _query().where(Variant.sku.in_(bindparam("skus", expanding=True)))
_BY_ID = _query().where(Variant.id == bindparam("variant_id"))
_CART_LINES = (
    select(CartLine.id, CartLine.quantity, *_columns())
    .join(Variant, Variant.id == CartLine.variant_id)
    .join(Product, Product.id == Variant.product_id)
    .where(CartLine.cart_id == bindparam("cart_id"))
    .order_by(CartLine.id)
)


# A cart read in one statement: the cart's own columns on every row, per line its variant
# with live stock (a cart without lines gives one row with NULL line columns), and last
# the shipping methods and tax rates its price needs (pricing.tables).
CART_COLUMNS = (
    Cart.id,
    Cart.token,
    Cart.customer_id,
    Cart.currency,
    Cart.expires_at,
    Cart.completed_at,
    Cart.email,
    Cart.discount_code,
    Cart.shipping_method_code,
    Cart.shipping_country,
)
_CART_WITH_LINES = (
    select(*CART_COLUMNS, CartLine.id, CartLine.quantity, *_columns(), *tables_columns(Cart.shipping_country))
    .select_from(Cart)
    .outerjoin(CartLine, CartLine.cart_id == Cart.id)
    .outerjoin(Variant, Variant.id == CartLine.variant_id)
    .outerjoin(Product, Product.id == Variant.product_id)
    .where(Cart.token == bindparam("token"))
    .order_by(CartLine.id)
)
# Checkout: the cart's row lock (PostgreSQL; SQLite's writers are serialised already), so two
# checkouts of one cart run one after the other. Only the cart row: the lines' side of the
# outer join cannot be locked, and variants must stay free for other carts.
_CART_WITH_LINES_LOCKED = _CART_WITH_LINES.with_for_update(of=Cart.__table__)


CartLineRow = tuple[int, int, SellableVariant]

_COMPILED: dict[int, SQLCompiler] = {}  # by id() of the module-level statement (PostgreSQL)


def _driver_rows(session: Session, query: Any, params: dict[str, Any]) -> list[Any]:
    """The rows as plain tuples. On PostgreSQL the statement, compiled once, runs on psycopg's
    own cursor: SQLAlchemy's execution and result objects (and the 27 column descriptions
    psycopg builds for them) cost about a fifth of a cart read's CPU. Its parameters are plain
    strings and its columns need no conversion there (psycopg returns aware datetimes, parsed
    JSON, and the enums' values as text), so the rows are what SQLAlchemy would give. SQLite
    (dates as text, booleans as integers) goes through SQLAlchemy."""
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        return list(connection.execute(query, params))
    compiled = _COMPILED.get(id(query))
    if compiled is None:
        compiled = _COMPILED[id(query)] = cast(SQLCompiler, query.compile(dialect=dialect))
    expanded = compiled.construct_expanded_state(params)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(expanded.statement, expanded.parameters)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def cart_with_lines(
    session: Session,
    token: str,
    *,
    default_country: str,
    country: str | None = None,
    region: str | None = None,
    lock: bool = False,
) -> tuple[Any, list[CartLineRow], PricingTables] | None:
    """The cart's columns (in CART_COLUMNS order), its lines as `cart_lines` gives them, and
    the pricing tables for `country` (else the cart's destination, else `default_country`)
    and `region`; None when no cart has `token`."""
    query = _CART_WITH_LINES_LOCKED if lock else _CART_WITH_LINES
    params = {"token": token, **tables_params(country, default_country, region)}
    rows = _driver_rows(session, query, params)
    if not rows:
        return None
    width = len(CART_COLUMNS)
    lines: list[CartLineRow] = [
        (row[width], row[width + 1], _variant(row, width + 2)) for row in rows if row[width] is not None
    ]
    tax_country, shipping, tax = rows[0][-3:]
    return rows[0][:width], lines, read_tables(tax_country, tax_regions(region), shipping, tax)


def variants_by_sku(session: Session, skus: list[str]) -> dict[str, SellableVariant]:
    return {row[2]: _variant(row) for row in session.execute(_BY_SKU, {"skus": skus})}


def variant_by_id(session: Session, variant_id: int) -> SellableVariant:
    return _variant(session.execute(_BY_ID, {"variant_id": variant_id}).one())


def cart_lines(session: Session, cart_id: int) -> list[tuple[int, int, SellableVariant]]:
    """(line id, quantity, variant) for each line of the cart, oldest first."""
    return [(row[0], row[1], _variant(row, 2)) for row in session.execute(_CART_LINES, {"cart_id": cart_id})]
