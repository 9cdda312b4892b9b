"""Answer a retried request the way it was answered the first time.

The key is claimed by inserting its row inside the request's own transaction. A second
request with the same key meets the unique constraint on (scope, key): on PostgreSQL
its INSERT waits for the first transaction and fails once that one commits, on SQLite
`BEGIN IMMEDIATE` makes it wait for the first to finish; either way it then reads the
stored answer. If the first request fails, its row rolls back with everything else and
a retry runs afresh (a refused checkout is not remembered, so it can succeed later).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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


def _answer(row: IdempotencyKey, digest: str) -> StoredAnswer:
    if row.request_hash != digest:
        raise InvalidInput(f"this {HEADER} was used with a different request body", field=HEADER)
    if row.status_code is None or row.response is None:
        raise Conflict(f"a request with this {HEADER} is still being processed; retry shortly", field=HEADER)
    return StoredAnswer(row.status_code, row.response)


def claim(session: Session, *, scope: str, key: str, digest: str) -> IdempotencyKey | StoredAnswer:
    """The new row when this request owns `key`; the earlier answer when it was given already."""
    key = _check_key(key)
    query = select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    # Insert first: a new key (the common case) costs one statement, a replay one more.
    row = IdempotencyKey(scope=scope, key=key, request_hash=digest)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        winner = session.scalar(query.execution_options(populate_existing=True))
        if winner is None:  # pragma: no cover - the winner rolled back between our two statements
            raise Conflict(
                f"a request with this {HEADER} is still being processed; retry shortly", field=HEADER
            ) from None
        return _answer(winner, digest)
    return row


def remember(row: IdempotencyKey, *, status_code: int, body: dict[str, Any]) -> None:
    row.status_code = status_code
    row.response = body
