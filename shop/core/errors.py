"""The root of every domain error; edges map these to problem+json, CLI lines or form errors."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule said no. `code` is stable (API `type`), `field` names the input at fault."""

    code = "domain-error"
    status = 400

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra


class NotFound(DomainError):
    code = "not-found"
    status = 404


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidInput(DomainError):
    code = "invalid-input"
    status = 422
