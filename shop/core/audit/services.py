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


_INSERT = insert(AuditLog)


def write_audit(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: object,
    changes: dict[str, Any] | None = None,
    actor_id: int | None = None,
    ip: str | None = None,
    at: datetime | None = None,
) -> None:
    """`record_audit` as one Core INSERT on the session's connection, for hot paths (checkout)
    that keep no AuditLog object."""
    values = _values(actor, action, object_type, object_id, changes, actor_id, ip)
    session.connection().execute(_INSERT, {**values, "created_at": at or utcnow()})


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
