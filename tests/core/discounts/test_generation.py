from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from shop.core.discounts import generation
from shop.core.discounts.generation import generate_codes
from shop.core.discounts.models import DiscountCode, DiscountKind
from shop.core.errors import InvalidInput


def test_codes_are_unique_even_when_the_random_part_collides(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    session.add(DiscountCode(code="VIP-AAAAAA", kind=DiscountKind.FIXED, value=500))
    session.flush()
    # The first draws repeat one another and an existing code; later draws differ.
    draws = itertools.chain("A" * 18, itertools.cycle("BCDEFGHJK"))
    monkeypatch.setattr(generation.secrets, "choice", lambda _alphabet: next(draws))
    codes = generate_codes(session, count=3, kind=DiscountKind.FIXED, value=500, prefix="vip-", length=6)
    assert len(set(codes)) == 3 and "VIP-AAAAAA" not in codes
    stored = session.scalars(select(DiscountCode.code).where(DiscountCode.code != "VIP-AAAAAA")).all()
    assert sorted(stored) == codes


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"count": 0}, "count"),
        ({"prefix": "no spaces"}, "prefix"),
        ({"length": 3}, "length"),
        ({"kind": DiscountKind.PERCENT, "value": 0}, "value"),
    ],
)
def test_bad_requests_name_the_field(session: Session, options: dict, field: str) -> None:
    arguments = {"count": 2, "kind": DiscountKind.FIXED, "value": 100, **options}
    with pytest.raises(InvalidInput) as error:
        generate_codes(session, **arguments)
    assert error.value.field == field
