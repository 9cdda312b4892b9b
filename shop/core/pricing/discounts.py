"""Whether a discount code may be used now, by this shopper, on this subtotal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.core.discounts.models import DiscountCode, DiscountKind, DiscountRedemption
from shop.core.errors import InvalidInput
from shop.core.money import Money
from shop.core.pricing.calculator import Discount, DiscountType


class DiscountNotApplicable(InvalidInput):
    code = "discount-not-applicable"


def normalise_code(code: str) -> str:
    return code.strip().upper()


def find_discount(
    session: Session,
    code: str,
    *,
    subtotal: int,
    currency: str,
    email: str | None,
    now: datetime,
    field: str = "code",
) -> Discount:
    """The code as a pricing Discount, or DiscountNotApplicable saying why not.

    The usage limit counts paid orders only (a redemption is written when an order is
    paid), so an abandoned checkout never uses up a code. The per-customer limit counts
    the shopper's paid orders by e-mail, and is checked once the e-mail is known.
    """
    normalised = normalise_code(code)
    row = session.scalar(select(DiscountCode).where(DiscountCode.code == normalised))
    if row is None or not row.active:
        raise DiscountNotApplicable(f"{normalised!r} is not a valid discount code", field=field)
    if row.starts_at is not None and now < row.starts_at:
        raise DiscountNotApplicable(f"{normalised} is not valid yet", field=field)
    if row.ends_at is not None and now >= row.ends_at:
        raise DiscountNotApplicable(f"{normalised} has expired", field=field)
    if subtotal < row.minimum_subtotal:
        minimum = Money(row.minimum_subtotal, currency)
        raise DiscountNotApplicable(
            f"{normalised} needs a subtotal of at least {minimum}",
            field=field,
            minimum_subtotal=row.minimum_subtotal,
        )
    if row.usage_limit is not None and row.times_used >= row.usage_limit:
        raise DiscountNotApplicable(f"{normalised} has been used up", field=field)
    if email and row.per_customer_limit is not None:
        used = (
            session.scalar(
                select(func.count())
                .select_from(DiscountRedemption)
                .where(
                    DiscountRedemption.discount_code_id == row.id,
                    DiscountRedemption.email == email.strip().lower(),
                )
            )
            or 0
        )
        if used >= row.per_customer_limit:
            raise DiscountNotApplicable(
                f"{normalised} can be used {row.per_customer_limit} time(s) per customer", field=field
            )
    kind = {
        DiscountKind.PERCENT: DiscountType.PERCENT,
        DiscountKind.FIXED: DiscountType.FIXED,
        DiscountKind.FREE_SHIPPING: DiscountType.FREE_SHIPPING,
    }[row.kind]
    return Discount(code=row.code, kind=kind, value=row.value)
