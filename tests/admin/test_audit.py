from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy import select

from shop.core.audit.models import AuditLog
from shop.core.staff.models import StaffRole, StaffUser
from shop.core.tax.models import TaxRate
from tests.admin.conftest import AdminClient


def _rows(app: FastAPI, object_type: str) -> list[AuditLog]:
    with app.state.sessions() as session:
        return list(
            session.scalars(select(AuditLog).where(AuditLog.object_type == object_type).order_by(AuditLog.id))
        )


def test_create_update_delete_are_audited_with_what_changed(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient]
) -> None:
    owner = as_role(StaffRole.OWNER)
    form = {
        "name": "VAT",
        "country": "DE",
        "region": "",
        "rate_bps": "19",
        "prices_include_tax": "y",
        "applies_to_shipping": "y",
        "save": "Save",
    }
    assert owner.post("/admin/tax-rate/create", form, follow_redirects=False).status_code == 302
    with app.state.sessions() as session:
        rate_id = session.scalar(select(TaxRate.id))
    edited = owner.post(f"/admin/tax-rate/edit/{rate_id}", {**form, "rate_bps": "7"}, follow_redirects=False)
    assert edited.status_code == 302, edited.text[-1500:]
    deleted = owner.http.delete(f"/admin/tax-rate/delete?pks={rate_id}", headers={"X-CSRF-Token": owner.csrf})
    assert deleted.status_code == 200
    create, update, delete = _rows(app, "tax-rate")
    assert (create.action, create.actor, create.object_id) == ("create", "owner@shop.test", str(rate_id))
    assert create.changes["rate_bps"] == 1900 and "csrf_token" not in create.changes
    assert update.action == "update" and update.changes == {"rate_bps": [1900, 700]}
    assert delete.action == "delete" and delete.object_id == str(rate_id)
    assert create.ip and create.created_at


def test_passwords_never_reach_the_audit_log(
    app: FastAPI, as_role: Callable[[StaffRole], AdminClient]
) -> None:
    owner = as_role(StaffRole.OWNER)
    made = owner.post(
        "/admin/staff-user/create",
        {
            "email": "New@Shop.test",
            "full_name": "New",
            "role": "support",
            "is_active": "y",
            "new_password": "a long secret pw",
            "save": "Save",
        },
        follow_redirects=False,
    )
    assert made.status_code == 302, made.text[-2000:]
    (row,) = [r for r in _rows(app, "staff-user") if r.action == "create"]
    assert "a long secret pw" not in str(row.changes)
    assert row.changes["password_hash"] == "(hidden)"
    with app.state.sessions() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.email == "new@shop.test"))
        assert user.password_hash.startswith("$argon2")


def test_the_last_owner_cannot_be_demoted(app: FastAPI, as_role: Callable[[StaffRole], AdminClient]) -> None:
    owner = as_role(StaffRole.OWNER)
    with app.state.sessions() as session:
        me = session.scalar(select(StaffUser).where(StaffUser.email == "owner@shop.test"))
    response = owner.post(
        f"/admin/staff-user/edit/{me.id}",
        {"email": me.email, "full_name": "", "role": "viewer", "is_active": "y", "save": "Save"},
    )
    assert response.status_code == 400 and "last active owner" in response.text
