"""Staff accounts and groups (owners only, see roles.py)."""

from __future__ import annotations

from typing import Any

from sqladmin.contrib.rbac import GroupAdmin
from sqlalchemy import func, select
from starlette.requests import Request
from wtforms import PasswordField
from wtforms.validators import Optional

from shop.admin.auth import current_staff
from shop.admin.base import ShopModelView
from shop.admin.csrf import TokenField
from shop.core.errors import Conflict, InvalidInput
from shop.core.security import WeakPasswordError, hash_password
from shop.core.staff.models import StaffGroup, StaffRole, StaffUser
from shop.core.staff.services import normalise_email

STAFF = "Staff"


class StaffUserAdmin(ShopModelView, model=StaffUser):
    name = "Staff user"
    category = STAFF
    icon = "fa-solid fa-user-shield"
    column_list = [
        StaffUser.id,
        StaffUser.email,
        StaffUser.full_name,
        StaffUser.role,
        StaffUser.is_active,
        StaffUser.last_login_at,
    ]
    column_searchable_list = [StaffUser.email, StaffUser.full_name]
    column_sortable_list = [StaffUser.email, StaffUser.role, StaffUser.last_login_at]
    column_default_sort = [(StaffUser.email, False)]
    column_details_exclude_list = ["password_hash"]
    column_export_exclude_list = ["password_hash"]
    form_excluded_columns = ["password_hash", "last_login_at", "created_at", "updated_at"]

    async def scaffold_form(self, rules: list[str] | None = None) -> Any:
        form = await super().scaffold_form(rules)
        form.new_password = PasswordField(
            "Password",
            [Optional()],
            description="Required for a new user; leave empty to keep the current one.",
        )
        return form

    async def on_model_change(self, data: dict, model: Any, is_created: bool, request: Request) -> None:
        await super().on_model_change(data, model, is_created, request)
        password = data.pop("new_password", None)
        data["email"] = normalise_email(str(data.get("email") or ""))
        if password:
            try:
                data["password_hash"] = hash_password(password)
            except WeakPasswordError as exc:
                raise InvalidInput(str(exc), field="new_password") from None
        elif is_created:
            raise InvalidInput("a new staff user needs a password", field="new_password")
        if not is_created and model.role is StaffRole.OWNER:
            demoted = data.get("role") not in (StaffRole.OWNER, StaffRole.OWNER.value) or not data.get(
                "is_active"
            )
            if demoted and _other_active_owners(model.id) == 0:
                raise Conflict("this is the last active owner; make someone else owner first", field="role")
        if not is_created and model.id == current_staff(request).id and not data.get("is_active"):
            raise Conflict("you cannot deactivate your own account", field="is_active")

    async def on_model_delete(self, model: Any, request: Request) -> None:
        if model.id == current_staff(request).id:
            raise Conflict("you cannot delete your own account")
        if model.role is StaffRole.OWNER and model.is_active and _other_active_owners(model.id) == 0:
            raise Conflict("this is the last active owner; make someone else owner first")


def _other_active_owners(user_id: int) -> int:
    with StaffUserAdmin.read_session_maker() as session:
        return (
            session.scalar(
                select(func.count()).where(
                    StaffUser.role == StaffRole.OWNER, StaffUser.is_active, StaffUser.id != user_id
                )
            )
            or 0
        )


class StaffGroupAdmin(GroupAdmin, model=StaffGroup):
    """Extra grants for some staff on top of their role (sqladmin's permission matrix)."""

    name = "Staff group"
    category = STAFF

    async def scaffold_form(self, rules: list[str] | None = None) -> Any:
        form = await super().scaffold_form(rules)
        form.csrf_token = TokenField()
        return form

    async def on_model_change(self, data: dict, model: Any, is_created: bool, request: Request) -> None:
        data.pop("csrf_token", None)
        await super().on_model_change(data, model, is_created, request)


VIEWS = [StaffUserAdmin, StaffGroupAdmin]
