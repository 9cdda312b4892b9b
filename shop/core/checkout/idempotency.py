"""Answer a retried request the way it was answered the first time.

The key is claimed by inserting its row inside the request's own transaction. A second
request with the same key meets the unique constraint on (scope, key): on PostgreSQL
its INSERT waits for the first transaction and inserts nothing once that one commits, on SQLite
`BEGIN IMMEDIATE` makes it wait for the first to finish; either way it then reads the
stored answer. If the first request fails, its row rolls back with everything else and
a retry runs afresh (a refused checkout is not remembered, so it can succeed later).

A checkout through a remote payment provider commits its order before it asks the provider
for a payment page. Between the two, the key's row holds the order's id instead of an
answer (`pending`); a retry with the key then finishes that order's payment (`Claim.order_id`)
instead of placing another, and the provider, given the same key, opens no second page.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, select, update
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
    row_id: int, request_hash: str, status_code: int | None, response: dict[str, Any] | None, digest: str
) -> StoredAnswer | Claim:
    if request_hash != digest:
        raise InvalidInput(f"this {HEADER} was used with a different request body", field=HEADER)
    if status_code is None and response is not None and _PENDING_ORDER in response:
        return Claim(row_id, order_id=int(response[_PENDING_ORDER]))
    if status_code is None or response is None:
        raise Conflict(f"a request with this {HEADER} is still being processed; retry shortly", field=HEADER)
    return StoredAnswer(status_code, response)


@dataclass(frozen=True, slots=True)
class Claim:
    """This request owns the key: its row's id, to store the answer in. `order_id`: an earlier
    request with this key placed that order but did not finish its payment (a remote provider
    failed between the two transactions of a checkout); this one is to finish it."""

    id: int
    order_id: int | None = None


# What a key's row holds between the order's commit and the payment page's: no answer yet.
_PENDING_ORDER = "pending_order_id"


def _insert_if_new(module: Any) -> Any:
    # INSERT ... ON CONFLICT DO NOTHING RETURNING id: one statement whether the key is new or
    # not, and no savepoint (SAVEPOINT and RELEASE were two round trips of their own). A
    # competing transaction's uncommitted row still makes this one wait for its outcome.
    return (
        module.insert(IdempotencyKey)
        .on_conflict_do_nothing(index_elements=["scope", "key"])
        .returning(IdempotencyKey.id)
    )


# Built once per dialect: every checkout runs these, and building a statement (and its cache
# key) cost about as much as running it.
_CLAIM = {"postgresql": _insert_if_new(postgresql), "sqlite": _insert_if_new(sqlite)}
_WINNER = select(
    IdempotencyKey.id,
    IdempotencyKey.request_hash,
    IdempotencyKey.status_code,
    IdempotencyKey.response,
).where(IdempotencyKey.scope == bindparam("scope"), IdempotencyKey.key == bindparam("key"))
ANSWER = (
    update(IdempotencyKey)
    .where(IdempotencyKey.id == bindparam("claim_id"))
    .values(
        status_code=bindparam("answer_status", type_=IdempotencyKey.status_code.type),
        response=bindparam("answer", type_=IdempotencyKey.response.type),
    )
)


def claim(session: Session, *, scope: str, key: str, digest: str) -> Claim | StoredAnswer:
    """The claim when this request owns `key` (new, or left unfinished by an earlier request);
    the earlier answer when it was given already."""
    key = _check_key(key)
    connection = session.connection()
    inserted = connection.execute(
        _CLAIM[connection.dialect.name],
        {"scope": scope, "key": key, "request_hash": digest, "created_at": utcnow()},
    ).scalar()
    if inserted is not None:
        return Claim(inserted)
    winner = connection.execute(_WINNER, {"scope": scope, "key": key}).one_or_none()
    if winner is None:  # pragma: no cover - the winner rolled back between our two statements
        raise Conflict(f"a request with this {HEADER} is still being processed; retry shortly", field=HEADER)
    row_id, request_hash, status_code, response = winner
    return _answer(row_id, request_hash, status_code, response, digest)


@dataclass(frozen=True, slots=True)
class KeyAnswer:
    """What a claimed key's row is to hold: the answer (status and body), or, with no status,
    the order whose payment page is still to come (`pending`)."""

    claim_id: int
    status_code: int | None
    body: dict[str, Any]

    def params(self) -> dict[str, Any]:
        """The parameters of `ANSWER` (checkout's one statement on PostgreSQL runs it too)."""
        return {"claim_id": self.claim_id, "answer_status": self.status_code, "answer": self.body}


def answered(claimed: Claim, *, status_code: int, body: dict[str, Any]) -> KeyAnswer:
    return KeyAnswer(claimed.id, status_code, body)


def pending(claimed: Claim, *, order_id: int) -> KeyAnswer:
    """This key placed `order_id`; its answer is still to come."""
    return KeyAnswer(claimed.id, None, {_PENDING_ORDER: order_id})


def remember(session: Session, claimed: Claim, *, status_code: int, body: dict[str, Any]) -> None:
    session.connection().execute(ANSWER, answered(claimed, status_code=status_code, body=body).params())


def forget(session: Session, claimed: Claim) -> None:
    """Let the key run afresh: its checkout was refused after its order had been committed."""
    session.connection().execute(delete(IdempotencyKey).where(IdempotencyKey.id == claimed.id))
