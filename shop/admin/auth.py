"""Staff sign-in for the admin: e-mail and password, a signed session cookie, throttling.

Every admin request re-reads the staff user (one indexed query), so deactivating an
account or changing its password ends its sessions at once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import anyio
from sqladmin.authentication import AuthenticationBackend
from sqladmin.templating import Jinja2Templates
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shop.admin.csrf import SESSION_KEY as CSRF_SESSION_KEY
from shop.admin.csrf import CSRFMiddleware
from shop.admin.throttle import LoginThrottle
from shop.config import Settings
from shop.core.audit.models import AuditLog
from shop.core.db import utcnow
from shop.core.security import hash_password, needs_rehash, new_token, verify_password
from shop.core.staff.models import StaffGroupAccess, StaffRole, StaffUser, staff_user_groups

SESSION_COOKIE = "shop_admin"
SESSION_HOURS = 12


@dataclass(frozen=True, slots=True)
class Staff:
    """The signed-in staff user, as every permission check sees it."""

    id: int
    email: str
    role: StaffRole
    group_grants: frozenset[tuple[str, str]] = field(default_factory=frozenset)


def current_staff(request: Request) -> Staff:
    staff = getattr(request.state, "staff", None)
    if staff is None:  # only reachable from a route that skipped login_required
        raise PermissionError("no signed-in staff user")
    return staff


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _password_mark(password_hash: str) -> str:
    # Kept in the session: a password change makes every older session invalid.
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


class StaffAuthentication(AuthenticationBackend):
    templates: Jinja2Templates

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        super().__init__(
            secret_key=settings.secret_key,
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_HOURS * 3600,
            path="/admin",
            same_site="lax",
            https_only=settings.site_url.startswith("https://"),
        )
        # After the session middleware, so the CSRF check can read the session's token.
        self.middlewares.append(Middleware(CSRFMiddleware))
        self.sessions = sessions
        self.throttle = LoginThrottle(settings)

    async def login(self, request: Request) -> Response | bool:
        form = await request.form()
        email = str(form.get("email") or form.get("username") or "").strip().lower()
        password = str(form.get("password") or "")
        address = client_address(request)
        wait = self.throttle.wait(email=email, address=address)
        if wait is not None:
            return await self._login_page(
                request,
                f"Too many failed sign-ins. Wait {wait} seconds, then try again.",
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
        user = await anyio.to_thread.run_sync(self._check_password, email, password, address)
        if user is None:
            self.throttle.failed(email=email, address=address)
            return await self._login_page(request, "Wrong e-mail or password, or the account is disabled.")
        request.session.clear()
        request.session.update({"staff_id": user[0], "pw": user[1], CSRF_SESSION_KEY: new_token()})
        return RedirectResponse(request.url_for("admin:index"), status_code=302)

    async def logout(self, request: Request) -> Response | bool:
        request.session.clear()
        return RedirectResponse(request.url_for("admin:login"), status_code=302)

    async def authenticate(self, request: Request) -> Response | bool:
        staff_id = request.session.get("staff_id")
        if not isinstance(staff_id, int):
            return False
        staff = await anyio.to_thread.run_sync(self._load_staff, staff_id, request.session.get("pw"))
        if staff is None:
            request.session.clear()
            return False
        request.state.staff = staff
        return True

    async def get_user_id(self, request: Request) -> int | None:
        staff = getattr(request.state, "staff", None)
        return staff.id if staff else None

    async def _login_page(
        self, request: Request, error: str, *, status_code: int = 400, headers: dict[str, str] | None = None
    ) -> Response:
        response = await self.templates.TemplateResponse(
            request, "sqladmin/login.html", {"error": error}, status_code=status_code
        )
        response.headers.update(headers or {})
        return response

    def _check_password(self, email: str, password: str, address: str) -> tuple[int, str] | None:
        with self.sessions() as session, session.begin():
            user = session.scalar(select(StaffUser).where(StaffUser.email == email))
            valid = verify_password(user.password_hash if user else None, password)
            if user is None or not valid or not user.is_active:
                return None
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            user.last_login_at = utcnow()
            session.add(
                AuditLog(
                    actor=user.email,
                    actor_id=user.id,
                    action="login",
                    object_type="staff-user",
                    object_id=str(user.id),
                    ip=address,
                )
            )
            return user.id, _password_mark(user.password_hash)

    def _load_staff(self, staff_id: int, mark: object) -> Staff | None:
        with self.sessions() as session:
            row = session.execute(
                select(StaffUser.email, StaffUser.role, StaffUser.is_active, StaffUser.password_hash).where(
                    StaffUser.id == staff_id
                )
            ).first()
            if row is None or not row.is_active or _password_mark(row.password_hash) != mark:
                return None
            grants = session.execute(
                select(StaffGroupAccess.identity, StaffGroupAccess.action)
                .join(staff_user_groups, staff_user_groups.c.group_id == StaffGroupAccess.group_id)
                .where(staff_user_groups.c.user_id == staff_id)
            ).all()
        return Staff(
            id=staff_id,
            email=row.email,
            role=row.role,
            group_grants=frozenset((identity, action) for identity, action in grants),
        )


__all__ = ["Staff", "StaffAuthentication", "client_address", "current_staff"]
