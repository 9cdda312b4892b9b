"""Store-wide services: named counters."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shop.core.site.models import FIRST_ORDER_NUMBER, ORDER_NUMBERS, Counter

ORDER_NUMBER = "order_number"
_NEXT_ORDER_NUMBER = select(ORDER_NUMBERS.next_value())


def next_value(session: Session, name: str, *, start: int) -> int:
    """The next value of a named counter, safe under concurrent transactions.

    A guarded UPDATE takes the row lock on PostgreSQL and the write lock on SQLite, so
    two checkouts never draw the same order number. The first call creates the row.
    """
    bump = update(Counter).where(Counter.name == name).values(value=Counter.value + 1)
    for _ in range(2):
        # On the connection: no Counter object is kept in a session to keep in step.
        value = session.connection().execute(bump.returning(Counter.value)).scalar_one_or_none()
        if value is not None:
            return value
        try:
            with session.begin_nested():
                session.add(Counter(name=name, value=start))
            return start
        except IntegrityError:
            continue  # another transaction created it first; bump theirs
    raise RuntimeError(f"counter {name!r} could not be advanced")


def order_numbers_from_sequence(session: Session) -> bool:
    """True on PostgreSQL, whose order numbers come from the `order_numbers` sequence."""
    return session.get_bind().dialect.name == "postgresql"


def next_order_number(session: Session) -> int:
    """The next order number: the sequence's on PostgreSQL, the counter row's on SQLite."""
    if order_numbers_from_sequence(session):
        return int(session.connection().execute(_NEXT_ORDER_NUMBER).scalar_one())
    return next_value(session, ORDER_NUMBER, start=FIRST_ORDER_NUMBER)


def current_value(session: Session, name: str) -> int | None:
    return session.scalar(select(Counter.value).where(Counter.name == name))
