"""An app with the admin mounted, staff of every role, and clients signed in as each."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from shop.api.app import create_app
from shop.config import Settings
from shop.core.db import unit_of_work
from shop.core.staff.models import StaffRole
from shop.core.staff.services import create_staff_user

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token" value="([^"]+)"')


@dataclass
class AdminClient:
    http: TestClient
    email: str

    @property
    def csrf(self) -> str:
        page = self.http.get("/admin/login" if not self.signed_in else "/admin/")
        match = TOKEN.search(page.text)
        assert match, page.text[:500]
        return match.group(1) or match.group(2)

    @property
    def signed_in(self) -> bool:
        return "shop_admin" in self.http.cookies

    def post(self, url: str, data: dict | None = None, **kwargs):  # type: ignore[no-untyped-def]
        return self.http.post(url, data={**(data or {}), "csrf_token": self.csrf}, **kwargs)

    def action(self, url: str, pks: list[int] | int, data: dict | None = None):  # type: ignore[no-untyped-def]
        """Open an action's confirmation page as the admin's links do, then submit it."""
        ids = ",".join(map(str, pks if isinstance(pks, list) else [pks]))
        token = self.csrf
        page = self.http.get(url, params={"pks": ids, "csrf_token": token})
        if page.status_code != 200:
            return page
        return self.http.post(
            url, data={**(data or {}), "pks": ids, "csrf_token": token}, follow_redirects=False
        )


@pytest.fixture(autouse=True)
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with test-sized costs: the same code path, a fraction of the time."""
    from argon2 import PasswordHasher

    from shop.core import security

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def staff(app: FastAPI) -> dict[StaffRole, str]:
    emails = {}
    with unit_of_work(app.state.sessions) as session:
        for role in StaffRole:
            user = create_staff_user(session, email=f"{role.value}@shop.test", password=PASSWORD, role=role)
            emails[role] = user.email
    return emails


def sign_in(app: FastAPI, email: str, password: str = PASSWORD) -> AdminClient:
    client = AdminClient(TestClient(app, base_url="http://shop.test"), email)
    response = client.http.post(
        "/admin/login",
        data={"email": email, "password": password, "csrf_token": client.csrf},
        follow_redirects=False,
    )
    assert response.status_code == 302, response.text[:800]
    return client


@pytest.fixture
def as_role(app: FastAPI, staff: dict[StaffRole, str]) -> Iterator[Callable[[StaffRole], AdminClient]]:
    clients: list[AdminClient] = []

    def make(role: StaffRole) -> AdminClient:
        client = sign_in(app, staff[role])
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.http.close()
