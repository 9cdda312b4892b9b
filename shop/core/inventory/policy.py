"""Keep `stock_levels.allow_negative` in step with each variant's inventory policy.

The copy exists so that a CHECK constraint can refuse negative stock for deny
variants; these listeners make every ORM write (admin, import, services) maintain it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.orm import Mapper, attributes

from shop.core.catalog.models import InventoryPolicy, Variant
from shop.core.inventory.models import StockLevel


@event.listens_for(Variant, "after_update")
def _policy_changed(_mapper: Mapper[Any], connection: Any, variant: Variant) -> None:
    history = attributes.get_history(variant, "inventory_policy")
    if history.has_changes():
        connection.execute(
            update(StockLevel)
            .where(StockLevel.variant_id == variant.id)
            .values(allow_negative=variant.inventory_policy == InventoryPolicy.CONTINUE)
        )


@event.listens_for(StockLevel, "before_insert")
def _copy_policy(_mapper: Mapper[Any], connection: Any, level: StockLevel) -> None:
    policy = (
        level.variant.inventory_policy
        if level.variant is not None
        else connection.scalar(select(Variant.inventory_policy).where(Variant.id == level.variant_id))
    )
    level.allow_negative = policy == InventoryPolicy.CONTINUE
