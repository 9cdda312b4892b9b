"""Publishes and rollbacks as SiteRun rows, for the admin dashboard and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from shop.core.db import utcnow
from shop.core.site.models import SiteRun


def record_run(
    session: Session,
    *,
    kind: str,
    target: str,
    started_at: datetime,
    release: str | None,
    summary: dict[str, Any],
    error: str = "",
) -> SiteRun:
    run = SiteRun(
        kind=kind,
        target=target,
        started_at=started_at,
        finished_at=utcnow(),
        release=release,
        summary=summary,
        error=error,
    )
    session.add(run)
    session.flush()
    return run
