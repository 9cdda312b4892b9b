"""Locations, stock levels (changed only through actions) and the movement ledger."""

from __future__ import annotations

from typing import Any

from sqladmin import action
from sqladmin.filters import ForeignKeyFilter
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response
from wtforms import Form

from shop.admin.actions import run_action
from shop.admin.base import ShopModelView
from shop.admin.views.filters import enum_filter
from shop.admin.views.stock_forms import (
    AdjustForm,
    CountForm,
    TransferForm,
    run_stock_change,
    stock_form,
)
from shop.core.catalog.models import Variant
from shop.core.inventory.models import Location, MovementReason, StockLevel, StockMovement

INVENTORY = "Inventory"


class LocationAdmin(ShopModelView, model=Location):
    category = INVENTORY
    icon = "fa-solid fa-warehouse"
    column_list = [Location.id, Location.name, Location.code, Location.active, Location.priority]
    column_searchable_list = [Location.name, Location.code]
    column_sortable_list = [Location.name, Location.priority]
    column_default_sort = [(Location.priority, False)]


class StockLevelAdmin(ShopModelView, model=StockLevel):
    category = INVENTORY
    icon = "fa-solid fa-boxes-stacked"
    can_create = can_delete = False
    # On hand and allocated change only through the actions below (movement rows, guards).
    form_columns = ["low_stock_threshold"]
    column_list = [
        StockLevel.id,
        StockLevel.variant,
        StockLevel.location,
        StockLevel.on_hand,
        StockLevel.allocated,
        StockLevel.low_stock_threshold,
        StockLevel.updated_at,
    ]
    column_searchable_list = ["variant.sku"]
    column_sortable_list = [StockLevel.on_hand, StockLevel.allocated, StockLevel.updated_at]
    column_default_sort = [(StockLevel.id, True)]
    column_filters = [ForeignKeyFilter(StockLevel.location_id, Location.name, title="Location")]

    async def _stock_action(
        self, request: Request, kind: str, title: str, form_class: type[Form]
    ) -> Response:
        def factory(session: Session, pks: list[int], posted: Any) -> Form:
            level = session.get(StockLevel, pks[0])
            return stock_form(form_class, session, posted, level.location_id if level else None)

        def run(session: Session, pks: list[int], data: dict[str, Any]) -> str:
            level = session.get(StockLevel, pks[0])
            if level is None:
                raise LookupError("stock level not found")
            return run_stock_change(session, request, kind, level.variant_id, data)

        return await run_action(
            self, request, title=title, run=run, form_factory=factory, single=True, describe=_describe_levels
        )

    @action("adjust", "Adjust stock")
    async def adjust(self, request: Request) -> Response:
        return await self._stock_action(request, "adjust", "Adjust stock", AdjustForm)

    @action("count", "Record a count")
    async def record_count(self, request: Request) -> Response:
        return await self._stock_action(request, "count", "Record a stock count", CountForm)

    @action("transfer", "Transfer to another location")
    async def transfer(self, request: Request) -> Response:
        return await self._stock_action(request, "transfer", "Transfer stock", TransferForm)


def _describe_levels(session: Session, pks: list[int]) -> list[str]:
    rows = session.execute(
        select(Variant.sku, Location.name, StockLevel.on_hand, StockLevel.allocated)
        .join(StockLevel.variant)
        .join(StockLevel.location)
        .where(StockLevel.id.in_(pks))
    )
    return [f"{sku} at {loc}: {on_hand} on hand, {alloc} allocated" for sku, loc, on_hand, alloc in rows]


class StockMovementAdmin(ShopModelView, model=StockMovement):
    category = INVENTORY
    icon = "fa-solid fa-right-left"
    can_create = can_edit = can_delete = False
    column_list = [
        StockMovement.id,
        StockMovement.created_at,
        StockMovement.variant,
        StockMovement.location,
        StockMovement.delta,
        StockMovement.allocated_delta,
        StockMovement.reason,
        StockMovement.actor,
        StockMovement.order_id,
        StockMovement.note,
    ]
    column_searchable_list = ["variant.sku", StockMovement.actor, StockMovement.reference]
    column_sortable_list = [StockMovement.created_at, StockMovement.delta]
    column_default_sort = [(StockMovement.id, True)]
    column_filters = [
        enum_filter(StockMovement.reason, MovementReason),
        ForeignKeyFilter(StockMovement.location_id, Location.name, title="Location"),
    ]


VIEWS = [LocationAdmin, StockLevelAdmin, StockMovementAdmin]
