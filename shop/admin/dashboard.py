"""The admin home page."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from shop.core.reports.dashboard import dashboard


def dashboard_context(sessions: sessionmaker[Session], currency: str, timezone: str) -> dict[str, Any]:
    with sessions() as session:
        figures = dashboard(session, currency=currency, timezone=timezone)
        return {"dashboard": figures, "title": "Dashboard"}
