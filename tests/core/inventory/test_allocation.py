from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.core.catalog.models import InventoryPolicy
from shop.core.inventory.allocation import (
    InsufficientStock,
    available_quantities,
    release_allocation,
    return_sold_stock,
    sell_allocation,
)
from shop.core.inventory.models import Location, MovementReason, StockLevel, StockMovement
from tests.factories import make_location, make_product
from tests.order_factories import make_order


def _level(session: Session, variant_id: int, location: Location) -> StockLevel:
    level = session.scalars(
        select(StockLevel).where(StockLevel.variant_id == variant_id, StockLevel.location_id == location.id)
    ).one()
    session.refresh(level)
    return level


def _ledger(session: Session, order_id: int) -> list[tuple[str, int, int]]:
    rows = session.execute(
        select(StockMovement.reason, StockMovement.delta, StockMovement.allocated_delta)
        .where(StockMovement.order_id == order_id)
        .order_by(StockMovement.id)
    ).all()
    return [(str(reason), delta, allocated) for reason, delta, allocated in rows]


def test_allocation_takes_locations_in_priority_order_and_splits(session: Session) -> None:
    first = make_location(session, priority=0)
    second = make_location(session, priority=5)
    product = make_product(session, stock=2, location=second)
    variant = product.variants[0]
    session.add(StockLevel(variant=variant, location=first, on_hand=3))
    session.flush()

    order = make_order(session, [(product, 4)])

    assert _level(session, variant.id, first).allocated == 3
    assert _level(session, variant.id, second).allocated == 1
    assert available_quantities(session, [variant.id]) == {variant.id: 1}
    movements = session.scalars(select(StockMovement).where(StockMovement.order_id == order.id)).all()
    assert sorted((m.location_id, m.allocated_delta) for m in movements) == [(first.id, 3), (second.id, 1)]
    assert {m.reason for m in movements} == {MovementReason.ALLOCATED}
    assert {m.reference for m in movements} == {str(order.number)}


def test_inactive_locations_are_not_sold_from(session: Session) -> None:
    closed = make_location(session, active=False)
    product = make_product(session, stock=5, location=closed)
    with pytest.raises(InsufficientStock) as caught:
        make_order(session, [(product, 1)])
    assert caught.value.shortages[0].available == 0


def test_shortage_names_every_short_sku_and_allocates_nothing(session: Session) -> None:
    plenty = make_product(session, sku="PLENTY", stock=10)
    few = make_product(session, sku="FEW", stock=2)
    none = make_product(session, sku="NONE", stock=0)
    with pytest.raises(InsufficientStock) as caught:
        make_order(session, [(plenty, 3), (few, 5), (none, 1)])
    error = caught.value
    assert error.status == 409
    assert {(s.sku, s.requested, s.available) for s in error.shortages} == {("FEW", 5, 2), ("NONE", 1, 0)}
    assert "FEW" in error.detail and "NONE" in error.detail and "PLENTY" not in error.detail
    ids = [p.variants[0].id for p in (plenty, few, none)]
    assert available_quantities(session, ids) == dict(zip(ids, [10, 2, 0], strict=True))
    assert session.scalar(select(func.count()).select_from(StockMovement)) == 0


def test_continue_variants_allocate_below_zero(session: Session) -> None:
    location = make_location(session)
    product = make_product(session, stock=1, location=location, policy=InventoryPolicy.CONTINUE)
    variant = product.variants[0]
    make_order(session, [(product, 4)])
    level = _level(session, variant.id, location)
    assert (level.on_hand, level.allocated) == (1, 4)
    assert available_quantities(session, [variant.id]) == {variant.id: -3}


def test_continue_variant_without_stock_row_gets_one_at_the_first_location(session: Session) -> None:
    location = make_location(session, priority=-100)
    product = make_product(session, stock=None, policy=InventoryPolicy.CONTINUE)
    make_order(session, [(product, 2)])
    level = _level(session, product.variants[0].id, location)
    assert (level.on_hand, level.allocated) == (0, 2)


def test_release_sell_and_return_follow_the_ledger(session: Session) -> None:
    location = make_location(session)
    product = make_product(session, stock=5, location=location)
    variant = product.variants[0]
    order = make_order(session, [(product, 2)])
    assert sell_allocation(session, order, actor="test") == 2
    assert (
        _level(session, variant.id, location).on_hand,
        _level(session, variant.id, location).allocated,
    ) == (3, 0)
    # Selling or releasing again finds nothing left allocated.
    assert sell_allocation(session, order, actor="test") == 0
    assert release_allocation(session, order, actor="test") == 0
    assert return_sold_stock(session, order, actor="test") == 2
    assert return_sold_stock(session, order, actor="test") == 0
    level = _level(session, variant.id, location)
    assert (level.on_hand, level.allocated) == (5, 0)
    assert _ledger(session, order.id) == [("allocated", 0, 2), ("sold", -2, -2), ("returned", 2, 0)]

    other = make_order(session, [(product, 5)])
    assert release_allocation(session, other, actor="test") == 5
    assert release_allocation(session, other, actor="test") == 0
    assert _ledger(session, other.id) == [("allocated", 0, 5), ("released", 0, -5)]
    assert available_quantities(session, [variant.id]) == {variant.id: 5}


def test_the_guard_holds_when_stock_went_between_read_and_write(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our read is stale (a competitor took 4 of 5 units since): the UPDATE must not oversell."""
    from shop.core.inventory import allocation

    location = make_location(session)
    product = make_product(session, stock=5, location=location)
    variant = product.variants[0]
    level = _level(session, variant.id, location)
    level.allocated = 4  # the competitor's allocation, already committed
    session.flush()
    real_levels = allocation._levels
    reads: list[dict[int, list[tuple[int, int, int]]]] = []

    def stale_first_read(session_: Session, variant_ids: list[int]) -> dict[int, list[tuple[int, int, int]]]:
        levels = real_levels(session_, variant_ids)
        reads.append(levels)
        # What we would have read just before the competitor committed.
        if len(reads) == 1:
            return {
                variant_id: [
                    (level_id, location_id, available + 4) for level_id, location_id, available in rows
                ]
                for variant_id, rows in levels.items()
            }
        return levels

    monkeypatch.setattr(allocation, "_levels", stale_first_read)
    with pytest.raises(InsufficientStock) as caught:
        make_order(session, [(product, 3)])
    assert caught.value.shortages[0].available == 1
    assert len(reads) >= 2  # refused by the guard, then read again
    level = _level(session, variant.id, location)
    assert (level.on_hand, level.allocated) == (5, 4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.sampled_from(["order", "release", "sell", "return"]), st.integers(1, 6)),
        min_size=1,
        max_size=12,
    )
)
def test_the_ledger_always_explains_the_levels(session: Session, steps: list[tuple[str, int]]) -> None:
    """Whatever happens to orders, each level equals its start plus the sum of its movements,
    and deny stock never goes below zero or promises more than it holds."""
    example = session.begin_nested()
    try:
        first = make_location(session, priority=0)
        second = make_location(session, priority=1)
        product = make_product(session, stock=4, location=first)
        variant = product.variants[0]
        session.add(StockLevel(variant=variant, location=second, on_hand=3))
        session.flush()
        orders = []
        for action, n in steps:
            if action == "order":
                with contextlib.suppress(InsufficientStock):
                    orders.append(make_order(session, [(product, n)]))
            elif orders:
                order = orders[n % len(orders)]
                {"release": release_allocation, "sell": sell_allocation, "return": return_sold_stock}[action](
                    session, order, actor="test"
                )
        session.flush()
        for location, start in ((first, 4), (second, 3)):
            level = _level(session, variant.id, location)
            moved = session.execute(
                select(
                    func.coalesce(func.sum(StockMovement.delta), 0),
                    func.coalesce(func.sum(StockMovement.allocated_delta), 0),
                ).where(StockMovement.variant_id == variant.id, StockMovement.location_id == location.id)
            ).one()
            assert (level.on_hand, level.allocated) == (start + moved[0], moved[1])
            assert 0 <= level.allocated <= level.on_hand
    finally:
        example.rollback()
