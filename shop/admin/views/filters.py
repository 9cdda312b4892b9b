"""Filters shared by the views."""

from __future__ import annotations

import enum
from typing import Any

from sqladmin.filters import StaticValuesFilter


def enum_filter(column: Any, values: type[enum.StrEnum], title: str | None = None) -> StaticValuesFilter:
    return StaticValuesFilter(
        column, [(m.value, m.value.replace("_", " ").capitalize()) for m in values], title=title
    )
