"""The admin's audit trail in shop's `audit_log` table.

sqladmin reports creates, updates and deletes through `DBAuditBackend`; views record
what each field was before an update (see `ShopModelView.on_model_change`), so a row
says what changed, not only what was submitted. Custom actions write their row with
`record_action`, in the same transaction as the change itself.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqladmin import AuditEntry, DBAuditBackend
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from starlette.requests import Request

from shop.admin.auth import client_address, current_staff
from shop.core.audit.models import AuditLog
from shop.core.audit.services import record_audit

REDACTED = "(hidden)"
SECRET_FIELDS = frozenset({"password", "password_hash", "new_password"})
BEFORE_STATE = "shop_audit_before"


def json_safe(value: Any) -> Any:
    """A JSON-storable picture of a form value or attribute."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    mapper = sa_inspect(value, raiseerr=False)
    if mapper is not None and getattr(mapper, "identity", None):
        return {
            "id": mapper.identity[0] if len(mapper.identity) == 1 else list(mapper.identity),
            "name": str(value),
        }
    return str(value)


def describe_changes(
    submitted: dict[str, Any] | None, before: dict[str, Any] | None
) -> dict[str, Any] | None:
    """`{field: new}` for a create, `{field: [old, new]}` for the fields an update changed."""
    if submitted is None:
        return None
    after = {k: (REDACTED if k in SECRET_FIELDS else json_safe(v)) for k, v in submitted.items()}
    if before is None:
        return after
    old = {k: (REDACTED if k in SECRET_FIELDS else json_safe(v)) for k, v in before.items()}
    return {k: [old.get(k), v] for k, v in after.items() if (k in old and old[k] != v) or k not in old}


class ShopAuditBackend(DBAuditBackend):
    def build_row(self, entry: AuditEntry, actor: Any, request: Request) -> AuditLog:
        staff = current_staff(request)
        before = getattr(request.state, BEFORE_STATE, None)
        return AuditLog(
            actor=staff.email,
            actor_id=staff.id,
            action=entry.action,
            object_type=entry.identity,
            object_id=entry.pk,
            changes=describe_changes(entry.changes, before if entry.action == "update" else None),
            ip=client_address(request),
            created_at=entry.timestamp,
        )


def record_action(
    session: Session,
    request: Request,
    *,
    action: str,
    object_type: str,
    object_id: object | None,
    changes: dict[str, Any] | None = None,
) -> AuditLog:
    """An audit row for a custom action, written in the action's own transaction."""
    staff = current_staff(request)
    return record_audit(
        session,
        actor=staff.email,
        actor_id=staff.id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=json_safe(changes) if changes is not None else None,
        ip=client_address(request),
    )
