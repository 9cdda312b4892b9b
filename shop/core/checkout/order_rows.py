"""What checkout writes once the order's own row exists: its lines, a local provider's pending
payment, the cart's closing, the audit entry and the idempotency key's answer.

On PostgreSQL these are one statement (each a data-modifying CTE, the lines read from one
JSON parameter with `json_to_recordset`); elsewhere one statement each. A statement costs
the server about 135 µs of Python (SQLAlchemy and psycopg) and PostgreSQL about 45 µs
beside its own work, and these were six of a two-line checkout's fifteen. None of them
reads another's rows (the CTEs of one statement share one snapshot); each refers only to
rows that earlier statements wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Select, bindparam, column, func, insert, literal_column, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql.dml import Insert

from shop.core.audit.models import AuditLog
from shop.core.audit.services import INSERT_ENTRY
from shop.core.carts.models import Cart
from shop.core.checkout.idempotency import ANSWER, KeyAnswer
from shop.core.orders.models import OrderLine
from shop.core.payments.models import Payment

# The columns an order line is written with (the id comes from its sequence).
LINE_COLUMNS = (
    "order_id",
    "variant_id",
    "product_id",
    "title",
    "variant_title",
    "sku",
    "unit_price",
    "quantity",
    "discount_total",
    "tax_total",
    "line_total",
    "requires_shipping",
    "taxable",
    "quantity_fulfilled",
)
_PAYMENT_COLUMNS = tuple(c.name for c in Payment.__table__.columns if c.name != "id")
_AUDIT_COLUMNS = tuple(c.name for c in AuditLog.__table__.columns if c.name != "id")


@dataclass(frozen=True, slots=True)
class OrderRows:
    order_id: int
    lines: list[dict[str, Any]]  # LINE_COLUMNS
    payment: dict[str, Any] | None  # a local provider's pending Payment (pending_payment_row)
    cart: dict[str, Any]  # _CLOSE_CART's parameters
    audit: dict[str, Any]  # audit_row
    answer: KeyAnswer


_INSERT_LINES = insert(OrderLine)
_CLOSE_CART = (
    update(Cart)
    .where(Cart.id == bindparam("cart_id"))
    .values(completed_at=bindparam("now"), email=bindparam("cart_email"), updated_at=bindparam("now"))
)
_INSERT_PAYMENT = insert(Payment)


def write_order_rows(connection: Connection, rows: OrderRows) -> None:
    if connection.dialect.name == "postgresql":
        statement = _ONE_STATEMENT[rows.payment is not None]
        connection.execute(statement, _one_statement_params(rows))
        return
    connection.execute(_INSERT_LINES, rows.lines)
    if rows.payment is not None:
        connection.execute(_INSERT_PAYMENT, rows.payment)
    connection.execute(_CLOSE_CART, rows.cart)
    connection.execute(INSERT_ENTRY, rows.audit)
    connection.execute(ANSWER, rows.answer.params())


def _prefixed_insert(model: Any, columns: tuple[str, ...], prefix: str) -> Insert:
    table = model.__table__
    return insert(model).values(
        {name: bindparam(prefix + name, type_=table.c[name].type) for name in columns}
    )


def _lines_from_json() -> Insert:
    """INSERT INTO order_lines ... SELECT :order_id, ... FROM json_to_recordset(:lines) AS
    line(variant_id INTEGER, ...): any number of lines in one statement of one shape."""
    table = OrderLine.__table__
    fields = LINE_COLUMNS[1:]
    line = (
        func.json_to_recordset(bindparam("lines", type_=JSON))
        .table_valued(*(column(name, table.c[name].type) for name in fields))
        .render_derived(name="line", with_types=True)
    )
    rows = select(bindparam("order_id", type_=table.c.order_id.type), *(line.c[name] for name in fields))
    return insert(OrderLine).from_select(list(LINE_COLUMNS), rows)


def _one_statement(with_payment: bool) -> Select[Any]:
    parts = [_lines_from_json().cte("lines")]
    if with_payment:
        parts.append(_prefixed_insert(Payment, _PAYMENT_COLUMNS, "payment_").cte("payment"))
    parts += [
        _CLOSE_CART.cte("closed_cart"),
        _prefixed_insert(AuditLog, _AUDIT_COLUMNS, "audit_").cte("audit"),
        ANSWER.cte("answer"),
    ]
    return select(literal_column("1")).add_cte(*parts)


# Built once each (without and with a payment row): building a statement costs about as
# much as running it.
_ONE_STATEMENT = {False: _one_statement(False), True: _one_statement(True)}


def _one_statement_params(rows: OrderRows) -> dict[str, Any]:
    params: dict[str, Any] = {
        "order_id": rows.order_id,
        "lines": rows.lines,  # json_to_recordset reads only the columns it names
        **rows.cart,
        **rows.answer.params(),
    }
    if rows.payment is not None:
        params.update({f"payment_{name}": rows.payment[name] for name in _PAYMENT_COLUMNS})
    params.update({f"audit_{name}": rows.audit[name] for name in _AUDIT_COLUMNS})
    return params
