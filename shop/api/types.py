"""Request field types shared by the API's pydantic models."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

# Deliberately plain: one @, a dot in the domain, no spaces. Deliverability is proven by mail.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


def _email(value: str) -> str:
    value = value.strip().lower()
    if len(value) > 320 or not _EMAIL.match(value):
        raise ValueError("not an e-mail address")
    return value


def _country(value: str) -> str:
    value = value.strip().upper()
    if len(value) != 2 or not value.isalpha():
        raise ValueError("a two-letter ISO 3166 country code such as DE")
    return value


EmailAddress = Annotated[str, AfterValidator(_email)]
CountryCode = Annotated[str, AfterValidator(_country)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class StrictModel(BaseModel):
    """Unknown fields are refused: a client never slips an amount past us."""

    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of the API is answered."""

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None


_MEANINGS = {
    404: "not found (field names what)",
    409: "conflict, e.g. not enough stock (names each SKU)",
    413: "request body too large",
    422: "invalid input (field names it)",
    429: "rate limited (Retry-After)",
    502: "the payment provider refused or could not be reached (retry with the same Idempotency-Key)",
    503: "payment provider unavailable",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the problem+json answers a route can give."""
    return {
        status: {
            "model": Problem,
            "description": _MEANINGS[status],
            "content": {"application/problem+json": {}},
        }
        for status in statuses
    }
