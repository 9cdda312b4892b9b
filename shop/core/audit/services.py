"""Writing the audit trail from services (the admin's own edits go through sqladmin's backend)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from shop.core.audit.models import AuditLog
from shop.core.db import utcnow


def record_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: object,
    changes: dict[str, Any] | None = None,
    actor_id: int | None = None,
    ip: str | None = None,
) -> AuditLog:
    entry = AuditLog(**_values(actor, action, object_type, object_id, changes, actor_id, ip))
    session.add(entry)
    return entry


# Checkout writes its entry with Core (an INSERT of its own, or a part of one statement).
INSERT_ENTRY = insert(AuditLog)


def audit_row(
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: object,
    changes: dict[str, Any] | None = None,
    actor_id: int | None = None,
    ip: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The columns of the entry `record_audit` would add, for `INSERT_ENTRY`: hot paths keep
    no AuditLog object (the ORM's bookkeeping cost more than the statement)."""
    return {
        **_values(actor, action, object_type, object_id, changes, actor_id, ip),
        "created_at": at or utcnow(),
    }


def _values(
    actor: str,
    action: str,
    object_type: str,
    object_id: object,
    changes: dict[str, Any] | None,
    actor_id: int | None,
    ip: str | None,
) -> dict[str, Any]:
    return {
        "actor": actor,
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "changes": changes,
        "ip": ip,
    }
