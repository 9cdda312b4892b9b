"""Creating and checking staff accounts."""

from __future__ import annotations

from email.utils import parseaddr

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop.core.errors import Conflict, InvalidInput
from shop.core.security import WeakPasswordError, hash_password
from shop.core.staff.models import StaffRole, StaffUser


def normalise_email(email: str, *, field: str = "email") -> str:
    cleaned = email.strip().lower()
    _, address = parseaddr(cleaned)
    local, _, domain = address.partition("@")
    if address != cleaned or not local or "." not in domain or " " in cleaned:
        raise InvalidInput(f"{email!r} is not an e-mail address", field=field)
    return cleaned


def create_staff_user(
    session: Session, *, email: str, password: str, role: StaffRole, full_name: str = ""
) -> StaffUser:
    address = normalise_email(email)
    if session.scalar(select(func.count()).where(StaffUser.email == address)):
        raise Conflict(f"a staff user {address} already exists", field="email")
    try:
        password_hash = hash_password(password)
    except WeakPasswordError as exc:
        raise InvalidInput(str(exc), field="password") from None
    user = StaffUser(email=address, password_hash=password_hash, role=role, full_name=full_name)
    session.add(user)
    session.flush()
    return user
