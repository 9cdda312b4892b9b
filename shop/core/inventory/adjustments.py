"""Stock changes a merchant makes by hand: adjustments with a reason, and transfers.

Each change is one guarded UPDATE (never read-then-write), so two people adjusting the
same shelf, or a checkout allocating from it meanwhile, cannot take on-hand below what
is allocated where the variant's policy is deny. Every change writes a movement row.
"""

from __future__ import annotations

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop.core.catalog.models import Variant
from shop.core.errors import InvalidInput, NotFound
from shop.core.inventory.models import Location, MovementReason, StockLevel, StockMovement

MANUAL_REASONS = (
    MovementReason.RECEIVED,
    MovementReason.ADJUSTMENT,
    MovementReason.CORRECTION,
    MovementReason.DAMAGED,
    MovementReason.RETURNED,
)


def adjust_stock(
    session: Session,
    *,
    variant_id: int,
    location_id: int,
    delta: int,
    reason: MovementReason,
    actor: str,
    note: str = "",
    reference: str = "",
) -> StockLevel:
    """Add `delta` (negative to remove) units on hand at a location."""
    if delta == 0:
        raise InvalidInput("the change must not be zero", field="delta")
    if reason not in MANUAL_REASONS:
        raise InvalidInput(f"{reason.value} is not a reason for a manual change", field="reason")
    level = _level(session, variant_id, location_id, create=delta > 0)
    _apply(session, level, delta, field="delta")
    session.add(
        StockMovement(
            variant_id=variant_id,
            location_id=location_id,
            delta=delta,
            reason=reason,
            actor=actor,
            note=note,
            reference=reference,
        )
    )
    session.flush()
    session.refresh(level)
    return level


def set_on_hand(
    session: Session, *, variant_id: int, location_id: int, counted: int, actor: str, note: str = ""
) -> StockLevel | None:
    """Record a stock count: on hand becomes `counted` (a correction movement for the difference)."""
    if counted < 0:
        raise InvalidInput("a count cannot be negative", field="counted")
    level = _level(session, variant_id, location_id, create=True)
    current = session.scalar(select(StockLevel.on_hand).where(StockLevel.id == level.id))
    delta = counted - (current or 0)
    if delta == 0:
        return level
    # Guarded by the value just read: a sale between the read and the write fails the
    # update instead of being silently overwritten by the count.
    result = session.execute(
        update(StockLevel)
        .where(
            StockLevel.id == level.id,
            StockLevel.on_hand == current,
            or_(StockLevel.allow_negative, StockLevel.allocated <= counted),
        )
        .values(on_hand=counted)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidInput(
            "the stock changed while counting, or the count is below what orders already hold; "
            "check and try again",
            field="counted",
        )
    session.add(
        StockMovement(
            variant_id=variant_id,
            location_id=location_id,
            delta=delta,
            reason=MovementReason.CORRECTION,
            actor=actor,
            note=note,
        )
    )
    session.flush()
    session.refresh(level)
    return level


def transfer_stock(
    session: Session,
    *,
    variant_id: int,
    from_location_id: int,
    to_location_id: int,
    quantity: int,
    actor: str,
    note: str = "",
) -> None:
    """Move units between locations: out of one (guarded), into the other, two movement rows."""
    if quantity <= 0:
        raise InvalidInput("the quantity must be at least 1", field="quantity")
    if from_location_id == to_location_id:
        raise InvalidInput("choose two different locations", field="to_location_id")
    source = _level(session, variant_id, from_location_id, create=False)
    # A transfer never creates stock from nothing, whatever the variant's policy.
    result = session.execute(
        update(StockLevel)
        .where(StockLevel.id == source.id, StockLevel.on_hand - StockLevel.allocated >= quantity)
        .values(on_hand=StockLevel.on_hand - quantity)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        available = session.scalar(
            select(StockLevel.on_hand - StockLevel.allocated).where(StockLevel.id == source.id)
        )
        raise InvalidInput(f"only {max(available or 0, 0)} available to transfer", field="quantity")
    target = _level(session, variant_id, to_location_id, create=True)
    _apply(session, target, quantity, field="quantity")
    reference = f"transfer {from_location_id}->{to_location_id}"
    session.add_all(
        [
            StockMovement(
                variant_id=variant_id,
                location_id=from_location_id,
                delta=-quantity,
                reason=MovementReason.TRANSFER_OUT,
                actor=actor,
                note=note,
                reference=reference,
            ),
            StockMovement(
                variant_id=variant_id,
                location_id=to_location_id,
                delta=quantity,
                reason=MovementReason.TRANSFER_IN,
                actor=actor,
                note=note,
                reference=reference,
            ),
        ]
    )
    session.flush()


def _apply(session: Session, level: StockLevel, delta: int, *, field: str) -> None:
    result = session.execute(
        update(StockLevel)
        .where(
            StockLevel.id == level.id,
            or_(StockLevel.allow_negative, StockLevel.on_hand + delta >= StockLevel.allocated),
        )
        .values(on_hand=StockLevel.on_hand + delta)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        on_hand, allocated = session.execute(
            select(StockLevel.on_hand, StockLevel.allocated).where(StockLevel.id == level.id)
        ).one()
        raise InvalidInput(
            f"on hand would go below what is allocated to orders ({on_hand} on hand, {allocated} allocated); "
            "this variant does not sell below zero",
            field=field,
        )


def _level(session: Session, variant_id: int, location_id: int, *, create: bool) -> StockLevel:
    query = select(StockLevel).where(
        StockLevel.variant_id == variant_id, StockLevel.location_id == location_id
    )
    level = session.scalar(query)
    if level is not None:
        return level
    if session.get(Variant, variant_id) is None:
        raise NotFound(f"variant {variant_id} does not exist", field="variant_id")
    if session.get(Location, location_id) is None:
        raise NotFound(f"location {location_id} does not exist", field="location_id")
    if not create:
        raise InvalidInput("there is no stock of this variant at that location", field="location_id")
    try:
        with session.begin_nested():
            level = StockLevel(variant_id=variant_id, location_id=location_id, on_hand=0)
            session.add(level)
    except IntegrityError:  # created meanwhile by another transaction
        level = session.scalar(query)
        if level is None:
            raise
    return level
