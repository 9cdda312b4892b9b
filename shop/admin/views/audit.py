"""The audit trail, read-only."""

from __future__ import annotations

from shop.admin.base import ShopModelView
from shop.core.audit.models import AuditLog


class AuditLogAdmin(ShopModelView, model=AuditLog):
    name = "Audit log"
    name_plural = "Audit log"
    icon = "fa-solid fa-clipboard-list"
    can_create = can_edit = can_delete = False
    column_list = [
        AuditLog.id,
        AuditLog.created_at,
        AuditLog.actor,
        AuditLog.action,
        AuditLog.object_type,
        AuditLog.object_id,
        AuditLog.changes,
        AuditLog.ip,
    ]
    column_searchable_list = [AuditLog.actor, AuditLog.action, AuditLog.object_type, AuditLog.object_id]
    column_sortable_list = [AuditLog.created_at, AuditLog.actor, AuditLog.action]
    column_default_sort = [(AuditLog.id, True)]
    column_formatters = {"changes": lambda m, a: _short(m.changes)}


def _short(changes: object) -> str:
    text = "" if changes is None else str(changes)
    return text if len(text) <= 120 else text[:117] + "..."


VIEWS = [AuditLogAdmin]
