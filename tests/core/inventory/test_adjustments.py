"""Manual stock changes: guarded, ledgered, never below what orders hold for deny variants."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shop.core.db import make_session_factory, unit_of_work
from shop.core.errors import InvalidInput
from shop.core.inventory.adjustments import adjust_stock, set_on_hand, transfer_stock
from shop.core.inventory.models import MovementReason, StockLevel, StockMovement
from tests.factories import make_location, make_product


def _level(session: Session, variant_id: int, location_id: int) -> StockLevel:
    return session.scalars(
        select(StockLevel).where(StockLevel.variant_id == variant_id, StockLevel.location_id == location_id)
    ).one()


def test_adjust_creates_the_level_and_a_movement(session: Session) -> None:
    product = make_product(session, stock=None)
    where = make_location(session)
    variant = product.variants[0]
    level = adjust_stock(
        session,
        variant_id=variant.id,
        location_id=where.id,
        delta=4,
        reason=MovementReason.RECEIVED,
        actor="a@shop.test",
        note="PO 7",
    )
    assert level.on_hand == 4
    with pytest.raises(InvalidInput, match="below what is allocated"):
        adjust_stock(
            session,
            variant_id=variant.id,
            location_id=where.id,
            delta=-5,
            reason=MovementReason.DAMAGED,
            actor="a@shop.test",
        )
    with pytest.raises(InvalidInput, match="not a reason"):
        adjust_stock(
            session,
            variant_id=variant.id,
            location_id=where.id,
            delta=1,
            reason=MovementReason.SOLD,
            actor="a@shop.test",
        )
    moves = session.scalars(select(StockMovement)).all()
    assert [(m.delta, m.reason, m.note) for m in moves] == [(4, MovementReason.RECEIVED, "PO 7")]


def test_count_refuses_to_go_below_allocated(session: Session) -> None:
    where = make_location(session)
    product = make_product(session, stock=6, location=where)
    level = _level(session, product.variants[0].id, where.id)
    level.allocated = 2
    session.flush()
    with pytest.raises(InvalidInput, match="below what orders already hold"):
        set_on_hand(session, variant_id=product.variants[0].id, location_id=where.id, counted=1, actor="x")
    set_on_hand(session, variant_id=product.variants[0].id, location_id=where.id, counted=3, actor="x")
    session.refresh(level)
    assert level.on_hand == 3


def test_transfer_moves_only_what_is_available(session: Session) -> None:
    a, b = make_location(session), make_location(session)
    product = make_product(session, stock=5, location=a)
    variant_id = product.variants[0].id
    _level(session, variant_id, a.id).allocated = 3
    session.flush()
    with pytest.raises(InvalidInput, match="only 2 available"):
        transfer_stock(
            session, variant_id=variant_id, from_location_id=a.id, to_location_id=b.id, quantity=3, actor="x"
        )
    transfer_stock(
        session, variant_id=variant_id, from_location_id=a.id, to_location_id=b.id, quantity=2, actor="x"
    )
    assert (_level(session, variant_id, a.id).on_hand, _level(session, variant_id, b.id).on_hand) == (3, 2)


def test_concurrent_removals_never_take_stock_below_zero(engine: Engine) -> None:
    """Two staff remove 4 of 5 units at the same moment: exactly one succeeds."""
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        where = make_location(session)
        product = make_product(session, stock=5, location=where)
        ids = (product.variants[0].id, where.id)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def remove() -> None:
        barrier.wait()
        try:
            with unit_of_work(factory) as session:
                adjust_stock(
                    session,
                    variant_id=ids[0],
                    location_id=ids[1],
                    delta=-4,
                    reason=MovementReason.DAMAGED,
                    actor="x",
                )
            outcomes.append("ok")
        except InvalidInput:
            outcomes.append("refused")

    threads = [threading.Thread(target=remove) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    with factory() as session:
        assert _level(session, *ids).on_hand == 1
        assert len(session.scalars(select(StockMovement)).all()) == 1
