"""Column types and small vocabulary shared by the domain packages."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Enum, String


def enum_column(enum_cls: type[enum.StrEnum], name: str) -> Enum:
    """A portable enum: VARCHAR plus a named CHECK constraint on both databases."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


Email = String(320)
Slug = String(200)
CountryCode = String(2)
CurrencyCode = String(3)
Token = String(64)


def json_default() -> dict[str, Any]:
    return {}
