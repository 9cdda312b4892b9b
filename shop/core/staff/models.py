"""Staff who sign in to the admin, their role and optional extra groups.

The four built-in roles (owner, manager, support, viewer) cover most stores; groups
have the shape sqladmin's contrib.rbac `DBAuthorizationBackend` reads (declared here
rather than through its mixins, so the domain never imports a web package), for
grants a store wants beyond its roles.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.core.db import Base, Timestamps
from shop.core.types import Email, enum_column


class StaffRole(enum.StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    SUPPORT = "support"
    VIEWER = "viewer"


class StaffGroup(Base):
    __tablename__ = "admin_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)

    accesses: Mapped[list[StaffGroupAccess]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.name


class StaffGroupAccess(Base):
    """One grant: `action` ("view", "create", "edit", "delete", "export", an action name
    or "*") on `identity` (an admin view's identity or "*")."""

    __tablename__ = "admin_group_accesses"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("admin_groups.id", ondelete="CASCADE"), index=True)
    identity: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))

    group: Mapped[StaffGroup] = relationship(back_populates="accesses")

    __table_args__ = (UniqueConstraint("group_id", "identity", "action"),)

    def __str__(self) -> str:
        return f"{self.identity}:{self.action}"


staff_user_groups = Table(
    "admin_user_groups",
    Base.metadata,
    Column("user_id", ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", ForeignKey("admin_groups.id", ondelete="CASCADE"), primary_key=True),
)


class StaffUser(Timestamps, Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(Email, unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[StaffRole] = mapped_column(enum_column(StaffRole, "staff_role"), default=StaffRole.VIEWER)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[datetime | None]

    groups: Mapped[list[StaffGroup]] = relationship(secondary=staff_user_groups)

    @property
    def is_superuser(self) -> bool:
        return self.role is StaffRole.OWNER

    def __str__(self) -> str:
        return self.email
