"""place_order: one transaction from cart to a pending-payment order with its stock promised.

The phases, all in the caller's transaction so that any refusal leaves nothing behind:
re-price the cart on the server (strict: the code must still apply, the method must ship
there), draw the order number, write the order and its line snapshots, record the payment
of a local provider (manual), close the cart, and last allocate the stock, all or nothing.

Allocation comes last on purpose: its guarded UPDATEs lock the stock rows until commit,
and a hot SKU's buyers queue on those locks. Taking them last keeps that queue short.

A remote provider (Stripe) is never called inside that transaction: a network call there
would hold SQLite's write lock and the stock rows' locks for as long as the provider takes.
The edge commits the order first, then opens the payment page with no transaction open
(the provider gets an idempotency key derived from the request's), then stores it in a
short second transaction (`record_payment_page`). If the provider refuses outright, the
order is released at once and the cart reopened (`abandon_checkout`); if it cannot be
reached, the order waits for a retry with the same key (`order_awaiting_payment`), and the
reaper releases it when none comes within the pending-order time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, selectinload

from shop.config import Settings
from shop.core.audit.services import audit_row, record_audit
from shop.core.carts.models import Cart
from shop.core.carts.services import price_cart, read_cart
from shop.core.checkout.idempotency import KeyAnswer
from shop.core.checkout.order_rows import OrderRows, write_order_rows
from shop.core.errors import Conflict, InvalidInput, NotFound
from shop.core.inventory.allocation import allocate_lines
from shop.core.orders.models import FulfillmentStatus, Order, OrderLine, OrderStatus, PaymentStatus
from shop.core.orders.services import REASON_PAYMENT_FAILED, release_order
from shop.core.payments.models import Payment
from shop.core.payments.providers import PaymentPage, pending_payment_row
from shop.core.payments.registry import get_provider
from shop.core.security import new_token
from shop.core.site.models import ORDER_NUMBERS
from shop.core.site.services import next_order_number, order_numbers_from_sequence


@dataclass(frozen=True, slots=True)
class PlacedOrder:
    order_id: int
    order_number: int
    order_token: str
    status: str
    total: int
    currency: str
    provider: str
    redirect_url: str | None
    order: Order
    # The provider's payment page is still to be opened (remote providers, after commit).
    needs_payment_page: bool = False


class NotForSale(Conflict):
    code = "not-for-sale"


def place_order(
    session: Session,
    *,
    cart_token: str,
    email: str,
    shipping_address: dict[str, Any],
    billing_address: dict[str, Any] | None,
    shipping_method: str,
    customer_note: str,
    settings: Settings,
    now: datetime,
    idempotency_key: str,
    customer_id: int | None = None,
    key_answer: Callable[[PlacedOrder], KeyAnswer],
) -> PlacedOrder:
    """`key_answer`: what the idempotency key's row is to hold for the order placed (written
    with the order's rows, before its stock is taken: not while the stock rows are locked,
    so the buyers queued on a popular SKU wait less)."""
    email = email.strip().lower()
    country = str(shipping_address.get("country", "")).upper()
    region = str(shipping_address.get("region") or "") or None
    try:
        cart, items = read_cart(
            session, cart_token, now=now, settings=settings, country=country, region=region, lock=True
        )
    except NotFound as exc:
        raise NotFound(exc.detail, field="cart_token") from None
    priced = price_cart(
        session,
        cart,
        settings=settings,
        now=now,
        strict=True,
        email=email,
        country=country,
        region=region,
        shipping_method=shipping_method,
        items=items,
    )
    if not priced.items:
        raise InvalidInput("the cart is empty", field="cart_token")
    gone = [item.variant.sku for item in priced.items if not item.variant.for_sale]
    if gone:
        raise NotForSale(f"no longer for sale: {', '.join(gone)}", field="lines", skus=gone)

    totals = priced.quote.totals
    # On PostgreSQL the INSERT draws the number from the sequence itself.
    from_sequence = order_numbers_from_sequence(session)
    order_values: dict[str, Any] = {
        "number": None if from_sequence else next_order_number(session),
        "token": new_token(),
        "customer_id": customer_id or cart.customer_id,
        "email": email,
        "status": OrderStatus.PENDING_PAYMENT,
        "payment_status": PaymentStatus.PENDING,
        "fulfillment_status": FulfillmentStatus.UNFULFILLED,
        "currency": cart.currency,
        "subtotal": totals.subtotal,
        "discount_total": totals.discount,
        "shipping_total": totals.shipping,
        "tax_total": totals.tax,
        "total": totals.total,
        "prices_include_tax": totals.prices_include_tax,
        "discount_code": totals.discount_code,
        "shipping_method_code": shipping_method,
        "shipping_method_name": priced.quote.shipping_method_name,
        "shipping_address": shipping_address,
        "billing_address": billing_address or shipping_address,
        "customer_note": customer_note,
        "payment_provider": settings.payment_provider,
        "placed_at": now,
        "expires_at": now + timedelta(minutes=settings.pending_order_ttl_minutes),
        "paid_at": None,
        "cancelled_at": None,
        "cancel_reason": "",
        "created_at": now,
        "updated_at": now,
    }
    line_values: list[dict[str, Any]] = [
        {
            "variant_id": item.variant.variant_id,
            "product_id": item.variant.product_id,
            "title": item.variant.title,
            "variant_title": item.variant.variant_title,
            "sku": item.variant.sku,
            "unit_price": line.unit_price,
            "quantity": line.quantity,
            "discount_total": line.discount,
            "tax_total": line.tax,
            "line_total": line.total,
            "requires_shipping": item.variant.requires_shipping,
            "taxable": item.variant.taxable,
            "quantity_fulfilled": 0,
        }
        for item, line in zip(priced.items, totals.lines, strict=True)
    ]
    # Core on the session's connection: the ORM's unit of work cost more than the statements
    # it ran. The Order handed back is built from the same values, outside the session (a
    # provider reads it; nothing is flushed from it).
    connection = session.connection()
    if from_sequence:
        del order_values["number"]
        order_id, number = connection.execute(_INSERT_ORDER_NUMBERED, order_values).one()
        order_values["number"] = number
    else:
        number = order_values["number"]
        order_id = connection.execute(_INSERT_ORDER, order_values).scalar_one()
    for values in line_values:
        values["order_id"] = order_id
    order = Order(id=order_id, **order_values)
    order.lines = [OrderLine(**values) for values in line_values]

    provider = get_provider(settings.payment_provider, settings)
    # A local provider (manual) has its payment recorded here; a remote one (Stripe) is asked
    # for its page by the edge after this transaction commits (record_payment_page).
    page = (
        None if provider.remote else provider.open_page(order, idempotency_key=payment_key(idempotency_key))
    )
    redirect_url = page.redirect_url if page is not None else None
    placed = _placed(order, provider.name, redirect_url, needs_payment_page=page is None)
    # Written before the stock is taken: none of it waits on, or holds, a stock row's lock.
    write_order_rows(
        connection,
        OrderRows(
            order_id=order_id,
            lines=line_values,
            payment=pending_payment_row(order, provider.name, page, now) if page else None,
            cart={"cart_id": cart.id, "now": now, "cart_email": email},
            audit=audit_row(
                actor=email,
                action="place",
                object_type="order",
                object_id=number,
                changes={
                    "total": totals.total,
                    "currency": cart.currency,
                    "lines": len(line_values),
                    "provider": provider.name,
                },
                at=now,
            ),
            answer=key_answer(placed),
        ),
    )
    wanted: dict[int, int] = {}
    # SKU and inventory policy of each variant, read with the cart in this transaction.
    known = {item.variant.variant_id: (item.variant.sku, item.variant.backorder) for item in priced.items}
    for values in line_values:
        wanted[values["variant_id"]] = wanted.get(values["variant_id"], 0) + values["quantity"]
    # No savepoint: a shortage raises out of here and the edge rolls back everything.
    allocate_lines(
        session,
        order_id=order_id,
        order_number=number,
        wanted=wanted,
        actor="checkout",
        savepoint=False,
        variants=known,
    )
    return placed


_INSERT_ORDER = insert(Order).returning(Order.id)
_INSERT_ORDER_NUMBERED = (
    insert(Order).values(number=ORDER_NUMBERS.next_value()).returning(Order.id, Order.number)
)


def payment_key(idempotency_key: str) -> str:
    """The key the provider gets for the checkout's payment page: the same on every retry."""
    return f"checkout-{idempotency_key}"


def _placed(
    order: Order, provider: str, redirect_url: str | None, *, needs_payment_page: bool = False
) -> PlacedOrder:
    return PlacedOrder(
        order_id=order.id,
        order_number=order.number,
        order_token=order.token,
        status=order.status.value,
        total=order.total,
        currency=order.currency,
        provider=provider,
        redirect_url=redirect_url,
        order=order,
        needs_payment_page=needs_payment_page,
    )


class OrderReleased(Conflict):
    code = "order-released"


def _order_with_lines(session: Session, order_id: int, *, lock: bool = False) -> Order:
    query = select(Order).where(Order.id == order_id).options(selectinload(Order.lines))
    return session.scalars(query.with_for_update() if lock else query).one()


def _still_pending(order: Order) -> Order:
    if order.status != OrderStatus.PENDING_PAYMENT:
        raise OrderReleased(
            f"order #{order.number} was released before it could be paid; check out again", field="cart_token"
        )
    return order


def order_awaiting_payment(session: Session, order_id: int) -> Order:
    """A placed order whose payment page is still to be opened (a retried checkout), with its lines."""
    return _still_pending(_order_with_lines(session, order_id))


def record_payment_page(
    session: Session, order_id: int, page: PaymentPage, *, settings: Settings
) -> PlacedOrder:
    """The second short transaction of a remote checkout: store the page the provider opened.

    Under the order's row lock, so a retry that opened the same page (the provider replays
    it for the same key) finds the first one's payment instead of adding a second.
    """
    provider = get_provider(settings.payment_provider, settings)
    order = _order_with_lines(session, order_id, lock=True)
    existing = session.scalars(
        select(Payment).where(Payment.order_id == order.id, Payment.provider == provider.name).limit(1)
    ).first()
    if existing is not None:
        return _placed(order, provider.name, existing.redirect_url)
    payment = provider.record_page(session, _still_pending(order), page)
    return _placed(order, provider.name, payment.redirect_url)


def abandon_checkout(session: Session, order_id: int, *, cart_token: str, reason: str) -> None:
    """The provider refused the payment page outright: give the stock back at once, cancel the
    order (payment failed) and reopen the cart, so the shopper can try again."""
    order = _order_with_lines(session, order_id, lock=True)
    release_order(session, order, reason=REASON_PAYMENT_FAILED, actor="checkout")
    session.execute(
        update(Cart)
        .where(Cart.token == cart_token, Cart.completed_at.is_not(None))
        .values(completed_at=None)
        .execution_options(synchronize_session=False)
    )
    record_audit(
        session,
        actor="checkout",
        action="payment_refused",
        object_type="order",
        object_id=order.number,
        changes={"reason": reason[:500]},
    )
