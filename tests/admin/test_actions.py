"""Every catalog, stock, review and discount action, through the admin's confirm-then-POST pages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from shop.core.audit.models import AuditLog
from shop.core.catalog.models import InventoryPolicy, Product, ProductStatus
from shop.core.db import unit_of_work
from shop.core.discounts.models import DiscountCode, DiscountKind
from shop.core.inventory.models import MovementReason, StockLevel, StockMovement
from shop.core.notifications.models import OutboxEvent
from shop.core.reviews.models import Review, ReviewStatus
from shop.core.staff.models import StaffRole
from tests.admin.conftest import AdminClient
from tests.admin.seed import Seeded, seed
from tests.factories import make_product


@pytest.fixture
def seeded(app: FastAPI) -> Seeded:
    with unit_of_work(app.state.sessions) as session:
        return seed(session)


@pytest.fixture
def manager(as_role: Callable[[StaffRole], AdminClient]) -> AdminClient:
    return as_role(StaffRole.MANAGER)


def test_publish_unpublish_archive_in_bulk(app: FastAPI, manager: AdminClient) -> None:
    with unit_of_work(app.state.sessions) as session:
        ids = [make_product(session, status=ProductStatus.DRAFT).id for _ in range(3)]
    done = manager.action("/admin/product/action/publish", ids)
    assert done.status_code == 302
    with app.state.sessions() as session:
        products = session.scalars(select(Product).where(Product.id.in_(ids))).all()
        assert {p.status for p in products} == {ProductStatus.ACTIVE}
        assert all(p.published_at is not None and p.version == 2 for p in products)
    manager.action("/admin/product/action/archive", ids[:2])
    manager.action("/admin/product/action/unpublish", ids[2])
    with app.state.sessions() as session:
        assert [session.get(Product, i).status for i in ids] == [ProductStatus.ARCHIVED] * 2 + [
            ProductStatus.DRAFT
        ]
        audit = session.scalars(select(AuditLog.action).where(AuditLog.object_type == "product")).all()
    assert audit.count("product_active") == 3 and audit.count("product_archived") == 2


def test_adjust_stock_writes_a_movement_and_refuses_to_go_negative(
    app: FastAPI, manager: AdminClient, seeded: Seeded
) -> None:
    url = "/admin/stock-level/action/adjust"
    received = manager.action(
        url,
        seeded.level.id,
        {"location_id": seeded.location.id, "delta": "7", "reason": "received", "note": "delivery 42"},
    )
    assert received.status_code == 302
    refused = manager.action(
        url, seeded.level.id, {"location_id": seeded.location.id, "delta": "-13", "reason": "damaged"}
    )
    assert refused.status_code == 400
    assert "below what is allocated" in refused.text
    with app.state.sessions() as session:
        level = session.get(StockLevel, seeded.level.id)
        assert level.on_hand == 12
        moves = session.scalars(
            select(StockMovement).where(StockMovement.variant_id == level.variant_id)
        ).all()
        assert [(m.delta, m.reason, m.actor, m.note) for m in moves] == [
            (7, MovementReason.RECEIVED, "manager@shop.test", "delivery 42")
        ]
        assert session.scalar(select(AuditLog).where(AuditLog.action == "stock_adjust")).object_id == str(
            level.variant_id
        )


def test_allocated_units_cannot_be_adjusted_away(app: FastAPI, manager: AdminClient, seeded: Seeded) -> None:
    with unit_of_work(app.state.sessions) as session:
        session.get(StockLevel, seeded.level.id).allocated = 4
    url = "/admin/stock-level/action/adjust"
    assert (
        manager.action(
            url, seeded.level.id, {"location_id": seeded.location.id, "delta": "-2", "reason": "damaged"}
        ).status_code
        == 400
    )
    assert (
        manager.action(
            url, seeded.level.id, {"location_id": seeded.location.id, "delta": "-1", "reason": "damaged"}
        ).status_code
        == 302
    )
    with app.state.sessions() as session:
        assert session.get(StockLevel, seeded.level.id).on_hand == 4


def test_backorder_variants_may_go_below_zero(app: FastAPI, manager: AdminClient) -> None:
    with unit_of_work(app.state.sessions) as session:
        product = make_product(session, stock=1, policy=InventoryPolicy.CONTINUE)
        level = session.scalar(select(StockLevel).where(StockLevel.variant_id == product.variants[0].id))
        ids = (level.id, level.location_id)
    done = manager.action(
        "/admin/stock-level/action/adjust",
        ids[0],
        {"location_id": ids[1], "delta": "-3", "reason": "correction"},
    )
    assert done.status_code == 302
    with app.state.sessions() as session:
        assert session.get(StockLevel, ids[0]).on_hand == -2


def test_count_and_transfer(app: FastAPI, manager: AdminClient, seeded: Seeded) -> None:
    counted = manager.action(
        "/admin/stock-level/action/count",
        seeded.level.id,
        {"location_id": seeded.location.id, "counted": "9"},
    )
    assert counted.status_code == 302
    too_many = manager.action(
        "/admin/stock-level/action/transfer",
        seeded.level.id,
        {"location_id": seeded.location.id, "to_location_id": seeded.other_location.id, "quantity": "10"},
    )
    assert too_many.status_code == 400 and "only 9 available" in too_many.text
    moved = manager.action(
        "/admin/stock-level/action/transfer",
        seeded.level.id,
        {"location_id": seeded.location.id, "to_location_id": seeded.other_location.id, "quantity": "4"},
    )
    assert moved.status_code == 302
    with app.state.sessions() as session:
        levels = {
            lvl.location_id: lvl.on_hand
            for lvl in session.scalars(
                select(StockLevel).where(StockLevel.variant_id == seeded.level.variant_id)
            )
        }
        reasons = session.scalars(select(StockMovement.reason).order_by(StockMovement.id)).all()
    assert levels == {seeded.location.id: 5, seeded.other_location.id: 4}
    assert reasons == [MovementReason.CORRECTION, MovementReason.TRANSFER_OUT, MovementReason.TRANSFER_IN]


def test_variant_stock_at_a_new_location(app: FastAPI, manager: AdminClient, seeded: Seeded) -> None:
    variant_id = seeded.level.variant_id
    done = manager.action(
        "/admin/variant/action/adjust-stock",
        variant_id,
        {"location_id": seeded.other_location.id, "delta": "3", "reason": "received"},
    )
    assert done.status_code == 302
    with app.state.sessions() as session:
        level = session.scalar(
            select(StockLevel).where(
                StockLevel.variant_id == variant_id, StockLevel.location_id == seeded.other_location.id
            )
        )
        assert level.on_hand == 3


def test_reviews_approve_and_reject_in_bulk(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient], seeded: Seeded
) -> None:
    with unit_of_work(app.state.sessions) as session:
        extra = Review(
            product_id=seeded.product.id, author_name="Bo", email="bo@example.com", rating=1, title="Meh"
        )
        session.add(extra)
        session.flush()
        ids = [seeded.review.id, extra.id]
    support = as_role(StaffRole.SUPPORT)
    assert support.action("/admin/review/action/approve", ids).status_code == 302
    assert support.action("/admin/review/action/reject", ids[1]).status_code == 302
    with app.state.sessions() as session:
        reviews = {r.id: r for r in session.scalars(select(Review))}
        assert reviews[ids[0]].status is ReviewStatus.APPROVED
        assert reviews[ids[1]].status is ReviewStatus.REJECTED
        assert reviews[ids[1]].moderated_by == "support@shop.test"
        assert session.scalar(select(OutboxEvent).where(OutboxEvent.topic == "site.rebuild")) is not None


def test_generate_unique_discount_codes(app: FastAPI, manager: AdminClient, seeded: Seeded) -> None:
    done = manager.action(
        "/admin/discount-code/action/generate",
        [],
        {
            "count": "25",
            "prefix": "spring-",
            "kind": "percent",
            "value": "15",
            "usage_limit": "1",
            "minimum_subtotal": "20.00",
        },
    )
    assert done.status_code == 302, done.text[-2000:]
    with app.state.sessions() as session:
        codes = session.scalars(select(DiscountCode).where(DiscountCode.code.like("SPRING-%"))).all()
    assert len(codes) == 25 and len({c.code for c in codes}) == 25
    assert {(c.kind, c.value, c.usage_limit, c.minimum_subtotal) for c in codes} == {
        (DiscountKind.PERCENT, 1500, 1, 2000)
    }
    bad = manager.action(
        "/admin/discount-code/action/generate", [], {"count": "5", "kind": "percent", "value": "150"}
    )
    assert bad.status_code == 400 and "at most 100" in bad.text


def test_discount_form_takes_percent_and_amounts(app: FastAPI, manager: AdminClient) -> None:
    made = manager.post(
        "/admin/discount-code/create",
        {
            "code": "five",
            "kind": "fixed",
            "value": "5.00",
            "minimum_subtotal": "30",
            "active": "y",
            "save": "Save",
        },
        follow_redirects=False,
    )
    assert made.status_code == 302, made.text[-2000:]
    with app.state.sessions() as session:
        code = session.scalar(select(DiscountCode).where(DiscountCode.code == "FIVE"))
        assert (code.value, code.minimum_subtotal) == (500, 3000)


def test_add_products_to_a_collection_and_remove_them(app: FastAPI, manager: AdminClient) -> None:
    from shop.core.catalog.models import Collection, CollectionProduct

    with unit_of_work(app.state.sessions) as session:
        ids = [make_product(session).id for _ in range(3)]
        collection = Collection(title="Summer", slug="summer")
        session.add(collection)
        session.flush()
        collection_id = collection.id
    assert (
        manager.action(
            "/admin/product/action/add-to-collection", ids[:2], {"collection_id": collection_id}
        ).status_code
        == 302
    )
    assert (
        manager.action(
            "/admin/product/action/add-to-collection", ids, {"collection_id": collection_id}
        ).status_code
        == 302
    )  # the first two stay once
    assert (
        manager.action(
            "/admin/product/action/remove-from-collection", ids[0], {"collection_id": collection_id}
        ).status_code
        == 302
    )
    with app.state.sessions() as session:
        entries = session.scalars(select(CollectionProduct).order_by(CollectionProduct.position)).all()
    assert [(e.product_id, e.position) for e in entries] == [(ids[1], 2), (ids[2], 3)]
    page = manager.http.get(f"/admin/collection/details/{collection_id}")
    assert page.status_code == 200 and "2. Product" in page.text
