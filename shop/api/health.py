"""Liveness and database reachability."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from shop.core.db import ping

router = APIRouter(tags=["health"])


@router.get("/health")
def health(request: Request) -> JSONResponse:
    try:
        ping(request.app.state.engine)
        database = "ok"
    except SQLAlchemyError:
        database = "unreachable"
    status = 200 if database == "ok" else 503
    return JSONResponse(
        {"status": "ok" if status == 200 else "degraded", "database": database}, status_code=status
    )
