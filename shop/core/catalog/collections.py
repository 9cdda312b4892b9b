"""Putting products into hand-picked collections and taking them out."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from shop.core.catalog.models import Collection, CollectionProduct, Product
from shop.core.db import utcnow
from shop.core.errors import NotFound


def _collection(session: Session, collection_id: int) -> Collection:
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise NotFound(f"collection {collection_id} does not exist", field="collection_id")
    return collection


def add_to_collection(session: Session, collection_id: int, product_ids: Sequence[int]) -> int:
    """Append the products not yet in the collection, in the order given; how many were added."""
    collection = _collection(session, collection_id)
    present = set(
        session.scalars(
            select(CollectionProduct.product_id).where(CollectionProduct.collection_id == collection_id)
        )
    )
    existing = set(session.scalars(select(Product.id).where(Product.id.in_(list(product_ids)))))
    last = (
        session.scalar(
            select(func.max(CollectionProduct.position)).where(
                CollectionProduct.collection_id == collection_id
            )
        )
        or 0
    )
    added = [pid for pid in dict.fromkeys(product_ids) if pid in existing and pid not in present]
    session.add_all(
        CollectionProduct(collection_id=collection_id, product_id=pid, position=last + n)
        for n, pid in enumerate(added, start=1)
    )
    if added:
        collection.updated_at = utcnow()
    session.flush()
    return len(added)


def remove_from_collection(session: Session, collection_id: int, product_ids: Sequence[int]) -> int:
    collection = _collection(session, collection_id)
    result = session.execute(
        delete(CollectionProduct).where(
            CollectionProduct.collection_id == collection_id,
            CollectionProduct.product_id.in_(list(product_ids)),
        )
    )
    removed = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if removed:
        collection.updated_at = utcnow()
    session.flush()
    return removed
