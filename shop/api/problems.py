"""RFC 9457 problem+json for every error the API answers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shop.core.errors import DomainError

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://shop.dev/problems/"


def problem(
    status: int, type_: str, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"type": TYPE_BASE + type_, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[-1] if loc else "")


async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {
            "field": _field_path(tuple(err.get("loc", ()))),
            "message": err.get("msg", ""),
            "type": err.get("type"),
        }
        for err in exc.errors()
    ]
    first = errors[0] if errors else {"field": "", "message": "invalid request"}
    return problem(
        422,
        "validation-error",
        "Invalid request",
        f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=errors,
    )


async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
    extra = {key: value for key, value in exc.extra.items() if value is not None}
    if exc.field:
        extra["field"] = exc.field
    return problem(exc.status, exc.code, type(exc).__name__, exc.detail, **extra)


async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
    slug = {
        404: "not-found",
        405: "method-not-allowed",
        401: "unauthorized",
        403: "forbidden",
        413: "payload-too-large",
        429: "rate-limited",
    }.get(exc.status_code, "http-error")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return problem(
        exc.status_code,
        slug,
        slug.replace("-", " ").capitalize(),
        detail,
        headers=getattr(exc, "headers", None),
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, _domain)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
