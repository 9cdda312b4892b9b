"""Answer a retried request the way it was answered the first time.

The key is claimed by inserting its row inside the request's own transaction. A second
request with the same key meets the unique constraint on (scope, key): on PostgreSQL
its INSERT waits for the first transaction and inserts nothing once that one commits, on SQLite
`BEGIN IMMEDIATE` makes it wait for the first to finish; either way it then reads the
stored answer. If the first request fails, its row rolls back with everything else and
a retry runs afresh (a refused checkout is not remembered, so it can succeed later).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shop.core.db import utcnow
from shop.core.errors import Conflict, InvalidInput
from shop.core.site.models import IdempotencyKey

MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    status_code: int
    body: dict[str, Any]


def request_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters", field=HEADER)
    return key


def _answer(
    request_hash: str, status_code: int | None, response: dict[str, Any] | None, digest: str
) -> StoredAnswer:
    if request_hash != digest:
        raise InvalidInput(f"this {HEADER} was used with a different request body", field=HEADER)
    if status_code is None or response is None:
        raise Conflict(f"a request with this {HEADER} is still being processed; retry shortly", field=HEADER)
    return StoredAnswer(status_code, response)


@dataclass(frozen=True, slots=True)
class Claim:
    """This request owns the key: its row's id, to store the answer in."""

    id: int


def _insert_if_new(session: Session) -> Any:
    # INSERT ... ON CONFLICT DO NOTHING RETURNING id: one statement whether the key is new or
    # not, and no savepoint (SAVEPOINT and RELEASE were two round trips of their own). A
    # competing transaction's uncommitted row still makes this one wait for its outcome.
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(IdempotencyKey).on_conflict_do_nothing(index_elements=["scope", "key"])


def claim(session: Session, *, scope: str, key: str, digest: str) -> Claim | StoredAnswer:
    """The claim when this request owns `key`; the earlier answer when it was given already."""
    key = _check_key(key)
    inserted = (
        session.connection()
        .execute(
            _insert_if_new(session)
            .values(scope=scope, key=key, request_hash=digest, created_at=utcnow())
            .returning(IdempotencyKey.id)
        )
        .scalar()
    )
    if inserted is not None:
        return Claim(inserted)
    winner = (
        session.connection()
        .execute(
            select(IdempotencyKey.request_hash, IdempotencyKey.status_code, IdempotencyKey.response).where(
                IdempotencyKey.scope == scope, IdempotencyKey.key == key
            )
        )
        .one_or_none()
    )
    if winner is None:  # pragma: no cover - the winner rolled back between our two statements
        raise Conflict(f"a request with this {HEADER} is still being processed; retry shortly", field=HEADER)
    request_hash_, status_code, response = winner
    return _answer(request_hash_, status_code, response, digest)


def remember(session: Session, claimed: Claim, *, status_code: int, body: dict[str, Any]) -> None:
    session.connection().execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == claimed.id)
        .values(status_code=status_code, response=body)
    )
