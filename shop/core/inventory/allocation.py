"""Promising stock to orders, giving it back, and turning it into sales.

Stock is decided by guarded conditional UPDATEs, never by reading a number and writing
another: `UPDATE stock_levels SET allocated = allocated + n WHERE id = ? AND on_hand -
allocated >= n`. PostgreSQL re-checks the WHERE clause after waiting for a competing
writer's row lock, and SQLite's writers are serialised by `BEGIN IMMEDIATE`, so two
checkouts can never both take the last unit on either database.

What an order holds at each location is never stored separately: it is the sum of the
ledger (`stock_movements`) rows that carry the order's id, so a release or a sale always
undoes exactly what was done, however many times it is called.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import BindParameter, Integer, Select, bindparam, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from shop.core.catalog.models import InventoryPolicy, Variant
from shop.core.db import utcnow
from shop.core.errors import Conflict
from shop.core.inventory.models import Location, MovementReason, StockLevel, StockMovement
from shop.core.orders.models import Order

# A competing writer may take units between our read and our guarded UPDATE; we then
# read again. Each retry sees strictly less stock, so a handful of rounds always ends.
_MAX_ROUNDS = 5


@dataclass(frozen=True, slots=True)
class Shortage:
    sku: str
    requested: int
    available: int


class InsufficientStock(Conflict):
    """Some SKUs cannot be filled; `shortages` names each one with what is available."""

    code = "insufficient-stock"

    def __init__(self, shortages: list[Shortage]) -> None:
        names = ", ".join(f"{s.sku} (requested {s.requested}, available {s.available})" for s in shortages)
        super().__init__(
            f"not enough stock for {names}",
            field="lines",
            shortages=[{"sku": s.sku, "requested": s.requested, "available": s.available} for s in shortages],
        )
        self.shortages = shortages


def available_quantities(session: Session, variant_ids: Iterable[int]) -> dict[int, int]:
    """Units that can still be promised per variant: on hand minus allocated, over active locations."""
    ids = sorted(set(variant_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(StockLevel.variant_id, func.sum(StockLevel.on_hand - StockLevel.allocated))
        .join(Location, Location.id == StockLevel.location_id)
        .where(StockLevel.variant_id.in_(ids), Location.active.is_(True))
        .group_by(StockLevel.variant_id)
    ).all()
    found = {variant_id: int(total or 0) for variant_id, total in rows}
    return {variant_id: found.get(variant_id, 0) for variant_id in ids}


def allocate_order(session: Session, order: Order, *, actor: str, savepoint: bool = True) -> None:
    """Promise every line of `order`, all or nothing.

    Deny variants take units from active locations in priority order, never more than a
    location has; continue variants always allocate (what no location has is promised by
    the first one, which then holds less than nothing). Raises InsufficientStock naming
    every short SKU; nothing stays allocated then, even if the caller catches the error.
    A caller that rolls back its whole transaction on any error (checkout) may pass
    `savepoint=False` to save the two statements of the savepoint.
    """
    wanted: dict[int, int] = defaultdict(int)
    for line in order.lines:
        if line.variant_id is not None:
            wanted[line.variant_id] += line.quantity
    if not wanted:
        return
    session.flush()  # what follows bypasses autoflush
    allocate_lines(
        session, order_id=order.id, order_number=order.number, wanted=wanted, actor=actor, savepoint=savepoint
    )


def allocate_lines(
    session: Session,
    *,
    order_id: int,
    order_number: int,
    wanted: dict[int, int],
    actor: str,
    savepoint: bool = True,
    variants: dict[int, tuple[str, bool]] | None = None,
) -> None:
    """`allocate_order` for an order given by its id, number and units wanted per variant id,
    for a caller that wrote the order without the ORM (checkout). Nothing pending in the
    session is flushed first. `variants` (variant id -> SKU, whether it may be allocated
    beyond stock), when the caller read them in this transaction already.

    Checkout runs this on every order, so it speaks Core on the session's connection: per
    variant one guarded UPDATE at its first active location (reading the levels and taking
    from several only when that location is short), and one INSERT for all the ledger rows
    (the ORM's bookkeeping cost more than the statements).
    """
    if not wanted:
        return
    reference = str(order_number)
    ids = sorted(wanted)
    if variants is None or not all(variant_id in variants for variant_id in ids):
        variants = _variants(session, ids)
    short: list[tuple[int, str, int, int]] = []  # variant id, sku, requested, taken before running short
    movements: list[dict[str, object]] = []
    touched: list[int] = []
    nested = session.begin_nested() if savepoint else None
    # Variants in id order: concurrent checkouts lock rows in the same order, so they
    # queue instead of deadlocking on PostgreSQL.
    # On PostgreSQL the first location's guarded UPDATE writes its ledger row in the same
    # statement; elsewhere the row joins `movements`, written after the loop.
    recorded = session.connection().dialect.name == "postgresql"
    for variant_id in ids:
        sku, backorder = variants[variant_id]
        # Its location (0 here) is the one the UPDATE took the units at.
        movement = _movement(order_id, reference, variant_id, 0, wanted[variant_id], actor)
        first = _take_from_first_location(session, movement, recorded=recorded)
        if first is not None:
            touched.append(first[0])
            if not recorded:
                movements.append({**movement, "location_id": first[1]})
            continue
        taken = _allocate_variant(
            session,
            order_id,
            reference,
            variant_id,
            wanted[variant_id],
            backorder=backorder,
            levels=_levels(session, [variant_id]).get(variant_id, []),
            actor=actor,
            movements=movements,
            touched=touched,
        )
        if taken < wanted[variant_id]:
            short.append((variant_id, sku, wanted[variant_id], taken))
    if short:
        # What others could have now: what is left plus what this order took before giving up.
        left = available_quantities(session, (variant_id for variant_id, _, _, _ in short))
        if nested is not None:
            nested.rollback()
            _expire_levels(session, touched)
        raise InsufficientStock(
            [
                Shortage(sku, requested, max(0, left[variant_id] + taken))
                for variant_id, sku, requested, taken in short
            ]
        )
    if movements:
        session.connection().execute(_INSERT_MOVEMENTS, movements)
    _expire_levels(session, touched)
    if nested is not None:
        nested.commit()


# Built once: checkout runs these on every order, and building a statement (its cache key)
# costs about as much as running it.
_VARIANTS = select(Variant.id, Variant.sku, Variant.inventory_policy).where(
    Variant.id.in_(bindparam("ids", expanding=True))
)
# The order locations give their units in, for the general path and the one-statement one.
_ALLOCATION_ORDER = (Location.priority, Location.id)
_LEVELS = (
    select(
        StockLevel.variant_id,
        StockLevel.id,
        StockLevel.location_id,
        StockLevel.on_hand - StockLevel.allocated,
    )
    .join(Location, Location.id == StockLevel.location_id)
    .where(StockLevel.variant_id.in_(bindparam("ids", expanding=True)), Location.active.is_(True))
    .order_by(StockLevel.variant_id, *_ALLOCATION_ORDER)
)
_INSERT_MOVEMENTS = insert(StockMovement)
_N: BindParameter[int] = bindparam("n", type_=Integer())
_GUARDED_ALLOCATE = (
    update(StockLevel)
    .where(StockLevel.id == bindparam("level_id"), StockLevel.on_hand - StockLevel.allocated >= _N)
    .values(allocated=StockLevel.allocated + _N)
)
_FIRST_LEVEL = (
    select(StockLevel.id)
    .join(Location, Location.id == StockLevel.location_id)
    .where(StockLevel.variant_id == bindparam("of_variant"), Location.active.is_(True))
    .order_by(*_ALLOCATION_ORDER)
    .limit(1)
    .scalar_subquery()
)
_ALLOCATE_AT_FIRST = (
    update(StockLevel)
    .where(StockLevel.id == _FIRST_LEVEL, StockLevel.on_hand - StockLevel.allocated >= _N)
    .values(allocated=StockLevel.allocated + _N)
    .returning(StockLevel.id, StockLevel.location_id)
)


# The ledger row's columns given as parameters (the location comes from the UPDATE).
_RECORDED_COLUMNS = (
    "variant_id",
    "delta",
    "allocated_delta",
    "reason",
    "reference",
    "order_id",
    "actor",
    "created_at",
)


def _allocate_at_first_recorded() -> Select[tuple[int, int]]:
    taken = _ALLOCATE_AT_FIRST.cte("taken")
    table = StockMovement.__table__
    values = [bindparam(f"movement_{name}", type_=table.c[name].type) for name in _RECORDED_COLUMNS]
    ledger = insert(StockMovement).from_select(
        [*_RECORDED_COLUMNS, "location_id", "note"], select(*values, taken.c.location_id, literal(""))
    )
    return select(taken.c.id, taken.c.location_id).add_cte(ledger.cte("ledger"))


_ALLOCATE_AT_FIRST_RECORDED = _allocate_at_first_recorded()


def _variants(session: Session, variant_ids: list[int]) -> dict[int, tuple[str, bool]]:
    """variant id -> (sku, whether it may be allocated beyond stock)."""
    rows = session.connection().execute(_VARIANTS, {"ids": variant_ids})
    return {variant_id: (sku, policy == InventoryPolicy.CONTINUE) for variant_id, sku, policy in rows}


def _levels(session: Session, variant_ids: list[int]) -> dict[int, list[tuple[int, int, int]]]:
    """variant id -> (stock level id, location id, available) at active locations, in allocation order."""
    rows = session.connection().execute(_LEVELS, {"ids": variant_ids})
    found: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for variant_id, level_id, location_id, available in rows:
        found[variant_id].append((level_id, location_id, int(available)))
    return found


def _allocate_variant(
    session: Session,
    order_id: int,
    reference: str,
    variant_id: int,
    quantity: int,
    *,
    backorder: bool,
    levels: list[tuple[int, int, int]],
    actor: str,
    movements: list[dict[str, object]],
    touched: list[int],
) -> int:
    """Units allocated: `quantity`, or fewer when a deny variant runs short. `levels` is the
    first read; a guard that refuses (a competitor took units since) makes it read again."""
    remaining = quantity
    for round_ in range(_MAX_ROUNDS):
        if round_:
            levels = _levels(session, [variant_id]).get(variant_id, [])
        for level_id, location_id, available in levels:
            if remaining == 0:
                break
            take = min(available, remaining)
            if take <= 0:
                continue
            if _guarded_allocate(session, level_id, take):
                touched.append(level_id)
                movements.append(_movement(order_id, reference, variant_id, location_id, take, actor))
                remaining -= take
        if remaining == 0:
            return quantity
        if backorder:
            level_id, location_id = (
                (levels[0][0], levels[0][1]) if levels else _first_level(session, variant_id)
            )
            session.connection().execute(
                update(StockLevel)
                .where(StockLevel.id == level_id)
                .values(allocated=StockLevel.allocated + remaining)
            )
            touched.append(level_id)
            movements.append(_movement(order_id, reference, variant_id, location_id, remaining, actor))
            return quantity
        if sum(max(0, available) for _, _, available in levels) < remaining:
            break  # not a race: the stock simply is not there
    return quantity - remaining


def _movement(
    order_id: int, reference: str, variant_id: int, location_id: int, n: int, actor: str
) -> dict[str, object]:
    return {
        "variant_id": variant_id,
        "location_id": location_id,
        "delta": 0,
        "allocated_delta": n,
        "reason": MovementReason.ALLOCATED,
        "reference": reference,
        "order_id": order_id,
        "actor": actor,
    }


def _expire_levels(session: Session, level_ids: list[int]) -> None:
    # The UPDATEs went past the ORM: a StockLevel this session holds must be read again.
    for level_id in set(level_ids):
        level = session.identity_map.get(identity_key(StockLevel, level_id))
        if level is not None:
            session.expire(level, ["allocated"])


def _take_from_first_location(
    session: Session, movement: dict[str, object], *, recorded: bool
) -> tuple[int, int] | None:
    """The common case in one statement: the first active location has all the units
    `movement` allocates, and they are taken there (what the general path would do too).
    (stock level id, location id), or None when it has not (or the variant has no level
    yet): the general path decides. `recorded` (PostgreSQL): the same statement writes the
    ledger row, `movement` at that location (a data-modifying CTE; a statement less)."""
    params = {"of_variant": movement["variant_id"], "n": movement["allocated_delta"]}
    if recorded:
        ledger = {**movement, "created_at": utcnow()}
        params.update({f"movement_{name}": ledger[name] for name in _RECORDED_COLUMNS})
    statement = _ALLOCATE_AT_FIRST_RECORDED if recorded else _ALLOCATE_AT_FIRST
    row = session.connection().execute(statement, params).first()
    return (row[0], row[1]) if row is not None else None


def _guarded_allocate(session: Session, level_id: int, n: int) -> bool:
    return bool(session.connection().execute(_GUARDED_ALLOCATE, {"level_id": level_id, "n": n}).rowcount)


def _first_level(session: Session, variant_id: int) -> tuple[int, int]:
    """A stock level for a continue variant that has none: at the first active location."""
    location_id = session.scalar(
        select(Location.id).where(Location.active.is_(True)).order_by(Location.priority, Location.id).limit(1)
    )
    if location_id is None:
        raise Conflict("no active stock location to allocate from", field="lines")
    try:
        with session.begin_nested():
            level = StockLevel(variant_id=variant_id, location_id=location_id, on_hand=0, allocated=0)
            session.add(level)
        return level.id, location_id
    except IntegrityError:  # a concurrent checkout created it first
        level_id = session.scalars(
            select(StockLevel.id).where(
                StockLevel.variant_id == variant_id, StockLevel.location_id == location_id
            )
        ).one()
        return level_id, location_id


def _record(
    session: Session,
    order: Order,
    variant_id: int,
    location_id: int,
    *,
    reason: MovementReason,
    actor: str,
    delta: int = 0,
    allocated_delta: int = 0,
) -> None:
    session.add(
        StockMovement(
            variant_id=variant_id,
            location_id=location_id,
            delta=delta,
            allocated_delta=allocated_delta,
            reason=reason,
            reference=str(order.number),
            order_id=order.id,
            actor=actor,
        )
    )


def _order_holdings(session: Session, order: Order) -> dict[tuple[int, int], tuple[int, int]]:
    """(variant, location) -> (units still allocated, units sold and not returned) for `order`."""
    rows = session.execute(
        select(
            StockMovement.variant_id,
            StockMovement.location_id,
            func.sum(StockMovement.allocated_delta),
            func.sum(StockMovement.delta),
        )
        .where(StockMovement.order_id == order.id)
        .group_by(StockMovement.variant_id, StockMovement.location_id)
        .order_by(StockMovement.variant_id, StockMovement.location_id)
    ).all()
    return {(v, loc): (int(alloc or 0), -int(delta or 0)) for v, loc, alloc, delta in rows}


def _settle(
    session: Session,
    order: Order,
    *,
    actor: str,
    reason: MovementReason,
    from_sold: bool,
    on_hand_sign: int,
    allocated_sign: int,
) -> int:
    """Move what `order` holds (allocated, or sold when `from_sold`) at each location; units moved."""
    moved = 0
    for (variant_id, location_id), (allocated, sold) in _order_holdings(session, order).items():
        n = sold if from_sold else allocated
        if n <= 0:
            continue
        session.execute(
            update(StockLevel)
            .where(StockLevel.variant_id == variant_id, StockLevel.location_id == location_id)
            .values(
                on_hand=StockLevel.on_hand + on_hand_sign * n,
                allocated=StockLevel.allocated + allocated_sign * n,
            )
            .execution_options(synchronize_session="fetch")
        )
        _record(
            session,
            order,
            variant_id,
            location_id,
            delta=on_hand_sign * n,
            allocated_delta=allocated_sign * n,
            reason=reason,
            actor=actor,
        )
        moved += n
    return moved


def release_allocation(session: Session, order: Order, *, actor: str) -> int:
    """Give back whatever `order` still holds allocated; the number of units released."""
    return _settle(
        session,
        order,
        actor=actor,
        reason=MovementReason.RELEASED,
        from_sold=False,
        on_hand_sign=0,
        allocated_sign=-1,
    )


def sell_allocation(session: Session, order: Order, *, actor: str) -> int:
    """A paid order's allocation becomes a sale: on hand and allocated both go down."""
    return _settle(
        session,
        order,
        actor=actor,
        reason=MovementReason.SOLD,
        from_sold=False,
        on_hand_sign=-1,
        allocated_sign=-1,
    )


def return_sold_stock(session: Session, order: Order, *, actor: str) -> int:
    """Put a cancelled, unshipped order's sold units back on hand where they came from."""
    return _settle(
        session,
        order,
        actor=actor,
        reason=MovementReason.RETURNED,
        from_sold=True,
        on_hand_sign=1,
        allocated_sign=0,
    )
