"""Orders: the list, and an order page with its lines, payments, refunds and shipments."""

from __future__ import annotations

from typing import Any

import anyio
from sqladmin import action
from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from wtforms import Form

from shop.admin.actions import run_action
from shop.admin.auth import current_staff
from shop.admin.base import ShopModelView
from shop.admin.fields import format_money
from shop.admin.views.filters import enum_filter
from shop.admin.views.order_actions import (
    CancelForm,
    describe_orders,
    fulfil_form,
    load_order,
    mark_paid_form,
    refund_form,
    refund_note,
    run_cancel,
    run_fulfil,
    run_mark_paid,
    run_refund,
    run_resend,
)
from shop.core.orders.models import (
    Fulfillment,
    FulfillmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
)
from shop.core.payments.models import Payment, Refund

SALES = "Sales"


class OrderAdmin(ShopModelView, model=Order):
    category = SALES
    icon = "fa-solid fa-receipt"
    # Orders change through their actions (fulfil, cancel, refund, ...), never a free form.
    can_create = can_edit = can_delete = False
    details_template = "shop_admin/order_details.html"
    money_columns = ("subtotal", "discount_total", "shipping_total", "tax_total", "total")
    column_list = [
        Order.number,
        Order.placed_at,
        Order.email,
        Order.status,
        Order.payment_status,
        Order.fulfillment_status,
        Order.total,
    ]
    column_searchable_list = [Order.email]
    column_sortable_list = [Order.number, Order.placed_at, Order.total, Order.status]
    column_default_sort = [(Order.id, True)]
    column_filters = [
        enum_filter(Order.status, OrderStatus),
        enum_filter(Order.payment_status, PaymentStatus),
        enum_filter(Order.fulfillment_status, FulfillmentStatus),
    ]
    column_details_exclude_list = ["token", "lines", "fulfillments"]
    column_export_exclude_list = ["token"]

    def _actor(self, request: Request) -> str:
        return current_staff(request).email

    @action("fulfil", "Fulfil (ship)", add_in_list=False)
    async def fulfil(self, request: Request) -> Response:
        actor = self._actor(request)
        return await run_action(
            self,
            request,
            title="Fulfil order",
            single=True,
            form_factory=fulfil_form,
            describe=describe_orders,
            run=lambda session, pks, data: run_fulfil(session, pks[0], data, actor),
        )

    @action("cancel", "Cancel", add_in_list=False)
    async def cancel(self, request: Request) -> Response:
        actor, settings = self._actor(request), self.shop_admin.settings
        return await run_action(
            self,
            request,
            title="Cancel order",
            single=True,
            form_class=CancelForm,
            describe=describe_orders,
            run=lambda session, pks, data: run_cancel(session, pks[0], data, actor, settings),
        )

    @action("refund", "Refund", add_in_list=False)
    async def refund(self, request: Request) -> Response:
        actor, settings = self._actor(request), self.shop_admin.settings
        return await run_action(
            self,
            request,
            title="Refund order",
            single=True,
            form_class=refund_form(self.currency),
            describe=describe_orders,
            note=lambda session, pks: refund_note(session, pks[0]),
            run=lambda session, pks, data: run_refund(session, pks[0], data, actor, settings),
        )

    @action("resend-confirmation", "Resend confirmation e-mail")
    async def resend(self, request: Request) -> Response:
        actor = self._actor(request)
        return await run_action(
            self,
            request,
            title="Resend order confirmation",
            describe=describe_orders,
            run=lambda session, pks, data: run_resend(session, pks, actor),
        )

    @action("mark-paid", "Mark as paid (manual payment)", add_in_list=False)
    async def mark_paid(self, request: Request) -> Response:
        actor, form_class = self._actor(request), mark_paid_form(self.currency)

        def factory(session: Session, pks: list[int], posted: Any) -> Form:
            form = form_class(posted)
            if posted is None:
                form.amount.data = load_order(session, pks[0]).total
            return form

        return await run_action(
            self,
            request,
            title="Mark order as paid",
            single=True,
            form_factory=factory,
            describe=describe_orders,
            run=lambda session, pks, data: run_mark_paid(session, pks[0], data, actor),
        )

    def search_placeholder(self) -> str:
        return "order number, e-mail"

    def search_query(self, stmt: Select, term: str) -> Select:
        # A number is an order number, matched exactly (indexed); anything else searches e-mails.
        term = term.strip().lstrip("#")
        if term.isdigit() and len(term) < 10:
            return stmt.where(Order.number == int(term))
        return super().search_query(stmt, term)

    async def details_context(self, request: Request) -> dict[str, Any]:
        order_id = int(request.path_params["pk"])
        return await anyio.to_thread.run_sync(self._order_context, order_id)

    def _order_context(self, order_id: int) -> dict[str, Any]:
        with self.read_session_maker() as session:
            order = session.get(Order, order_id)
            if order is None:
                return {}
            money = lambda amount: format_money(amount, order.currency)  # noqa: E731
            lines = [
                {
                    "id": line.id,
                    "sku": line.sku,
                    "title": line.title,
                    "variant": line.variant_title,
                    "quantity": line.quantity,
                    "fulfilled": line.quantity_fulfilled,
                    "unit_price": money(line.unit_price),
                    "total": money(line.line_total),
                }
                for line in session.scalars(
                    select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.id)
                )
            ]
            payments = [
                {
                    "id": p.id,
                    "provider": p.provider,
                    "reference": p.provider_payment_id or p.provider_reference or "",
                    "amount": money(p.amount),
                    "status": p.status.value,
                    "created_at": p.created_at,
                }
                for p in session.scalars(
                    select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)
                )
            ]
            refunds = [
                {
                    "id": r.id,
                    "amount": money(r.amount),
                    "status": r.status.value,
                    "reason": r.reason,
                    "actor": r.actor,
                    "created_at": r.created_at,
                }
                for r in session.scalars(
                    select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)
                )
            ]
            shipments = [
                {
                    "id": f.id,
                    "carrier": f.carrier,
                    "tracking": f.tracking_number,
                    "actor": f.actor,
                    "created_at": f.created_at,
                    "lines": ", ".join(f"{fl.quantity} x {fl.order_line.sku}" for fl in f.lines),
                }
                for f in session.scalars(
                    select(Fulfillment).where(Fulfillment.order_id == order_id).order_by(Fulfillment.id)
                )
            ]
            return {
                "order_lines": lines,
                "order_payments": payments,
                "order_refunds": refunds,
                "order_shipments": shipments,
            }


VIEWS = [OrderAdmin]
