"""Generating a batch of unique, hard-to-guess discount codes."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.core.discounts.models import DiscountCode, DiscountKind
from shop.core.errors import InvalidInput

# No 0/O, 1/I/L: codes are read aloud and typed from paper.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
MAX_BATCH = 5000
PREFIX = re.compile(r"^[A-Z0-9-]{0,20}$")


def generate_codes(
    session: Session,
    *,
    count: int,
    kind: DiscountKind,
    value: int,
    prefix: str = "",
    length: int = 8,
    usage_limit: int | None = 1,
    minimum_subtotal: int = 0,
    ends_at: datetime | None = None,
) -> list[str]:
    prefix = prefix.strip().upper()
    if not 1 <= count <= MAX_BATCH:
        raise InvalidInput(f"generate between 1 and {MAX_BATCH} codes at a time", field="count")
    if not PREFIX.match(prefix):
        raise InvalidInput("the prefix may hold letters, digits and dashes, at most 20", field="prefix")
    if not 6 <= length <= 20:
        raise InvalidInput("the random part needs 6 to 20 characters", field="length")
    if kind is DiscountKind.PERCENT and not 0 < value <= 10000:
        raise InvalidInput("a percentage must be above 0 and at most 100", field="value")
    codes: set[str] = set()
    while len(codes) < count:
        wanted = count - len(codes)
        candidates = {
            prefix + "".join(secrets.choice(ALPHABET) for _ in range(length)) for _ in range(wanted)
        }
        taken = set(session.scalars(select(DiscountCode.code).where(DiscountCode.code.in_(candidates))))
        codes |= candidates - taken
    ordered = sorted(codes)
    session.add_all(
        DiscountCode(
            code=code,
            kind=kind,
            value=value,
            usage_limit=usage_limit,
            minimum_subtotal=minimum_subtotal,
            ends_at=ends_at,
        )
        for code in ordered
    )
    session.flush()
    return ordered
