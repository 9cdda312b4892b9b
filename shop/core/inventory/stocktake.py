"""A stocktake: set on-hand figures at a location, writing a movement for every difference.

Imports use it: "Variant Inventory Qty" is a counted figure for the store's first
location, not a delta. Figures are checked against what is already promised to orders
before anything is written; a variant switching to the deny policy has its stock set
first, so the database's "deny never negative" check sees the final figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.core.catalog import csv_format as f
from shop.core.catalog.csv_read import RowError
from shop.core.catalog.models import InventoryPolicy, Variant
from shop.core.inventory import policy as _policy  # noqa: F401  (keeps allow_negative in step)
from shop.core.inventory.models import Location, MovementReason, StockLevel, StockMovement

DEFAULT_LOCATION = {"name": "Default location", "code": "DEFAULT"}
CHUNK = 500


def first_location(session: Session, *, create: bool) -> Location | None:
    """Where imported stock lives: the first active location by priority (made if none)."""
    location = session.scalars(
        select(Location).order_by(Location.active.desc(), Location.priority, Location.id).limit(1)
    ).first()
    if location is None and create:
        location = Location(**DEFAULT_LOCATION)
        session.add(location)
        session.flush()
    return location


@dataclass
class Stocktake:
    session: Session
    actor: str
    errors: list[RowError]
    reference: str = "csv import"
    counted: list[tuple[Variant, int, int]] = field(default_factory=list)  # variant, on hand, row
    policies: list[tuple[Variant, InventoryPolicy, int]] = field(default_factory=list)

    def count(self, variant: Variant, on_hand: int, *, row: int) -> None:
        self.counted.append((variant, on_hand, row))

    def defer_policy(self, variant: Variant, policy: InventoryPolicy, *, row: int) -> None:
        self.policies.append((variant, policy, row))

    def apply(self) -> set[int]:
        """Write the counts and deferred policies; returns the ids (Python `id`) of variants
        whose stock changed. On a row error nothing is written and `errors` says why."""
        if not self.counted and not self.policies:
            return set()
        location = first_location(self.session, create=bool(self.counted))
        levels = self._levels([v.id for v, _, _ in self.counted] + [v.id for v, _, _ in self.policies])
        here = {lv.variant_id: lv for lv in levels if location and lv.location_id == location.id}
        new_policy = {id(v): p for v, p, _ in self.policies}
        counted = {v.id: n for v, n, _ in self.counted}
        for variant, on_hand, row in self.counted:
            level = here.get(variant.id)
            policy = new_policy.get(id(variant), variant.inventory_policy)
            if policy == InventoryPolicy.DENY and on_hand < 0:
                self.errors.append(
                    RowError(row, f.QTY, f'"{on_hand}" is negative and the inventory policy is deny')
                )
            elif level is not None and policy == InventoryPolicy.DENY and on_hand < level.allocated:
                self.errors.append(
                    RowError(
                        row,
                        f.QTY,
                        (
                            f'"{on_hand}" is less than the {level.allocated} units promised to orders '
                            f"at {level.location.name}"
                        ),
                    )
                )
        for variant, _new, row in self.policies:
            for level in (lv for lv in levels if lv.variant_id == variant.id):
                counts_here = variant.id in counted and level is here.get(variant.id)
                final = counted[variant.id] if counts_here else level.on_hand
                if final < max(0, level.allocated):
                    self.errors.append(
                        RowError(
                            row,
                            f.POLICY,
                            (
                                f'"deny" needs stock of at least {level.allocated} at '
                                f"{level.location.name}, which holds {final}"
                            ),
                        )
                    )
        if self.errors:
            return set()
        changed = self._write(location, here)
        self.session.flush()
        for variant, policy, _ in self.policies:
            variant.inventory_policy = policy
        self.session.flush()
        return changed

    def _levels(self, variant_ids: list[int]) -> list[StockLevel]:
        levels: list[StockLevel] = []
        for start in range(0, len(variant_ids), CHUNK):
            levels.extend(
                self.session.scalars(
                    select(StockLevel)
                    .where(StockLevel.variant_id.in_(variant_ids[start : start + CHUNK]))
                    .order_by(StockLevel.id)
                    .with_for_update()
                )
            )
        return levels

    def _write(self, location: Location | None, here: dict[int, StockLevel]) -> set[int]:
        changed: set[int] = set()
        if location is None:  # only policies changed: nothing was counted
            return changed
        for variant, on_hand, _row in self.counted:
            level = here.get(variant.id)
            if level is None:
                level = StockLevel(variant=variant, location=location, on_hand=on_hand)
                self.session.add(level)
                here[variant.id] = level
                delta = on_hand
            else:
                delta = on_hand - level.on_hand
                level.on_hand = on_hand
            if delta:
                changed.add(id(variant))
                self.session.add(
                    StockMovement(
                        variant=variant,
                        location=location,
                        delta=delta,
                        reason=MovementReason.IMPORT,
                        actor=self.actor,
                        reference=self.reference,
                    )
                )
        return changed
