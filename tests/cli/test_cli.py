"""The `shop` command through its real entry point: help, init, db, admin users, demo."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from shop.cli import app
from shop.config import get_settings
from shop.core import migrate
from shop.core.db import make_engine, make_session_factory
from shop.core.security import verify_password
from shop.core.staff.models import StaffRole, StaffUser

runner = CliRunner()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("SHOP_") and name != "SHOP_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("SHOP_DIR", str(tmp_path))
    monkeypatch.setenv("SHOP_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def staff(db_url: str) -> list[StaffUser]:
    engine = make_engine(db_url)
    try:
        with make_session_factory(engine)() as session:
            return list(session.scalars(select(StaffUser)))
    finally:
        engine.dispose()


def test_help_lists_every_command() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "db", "admin", "demo", "serve"):
        assert command in result.output
    for group, subcommands in (("db", ("upgrade", "downgrade", "current")), ("admin", ("create-user",))):
        sub = runner.invoke(app, [group, "--help"])
        assert sub.exit_code == 0
        assert all(name in sub.output for name in subcommands)


def test_init_scaffolds_a_store_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "mystore"
    result = runner.invoke(app, ["init", str(target), "--name", "Acme"])
    assert result.exit_code == 0, result.output
    assert 'store_name = "Acme"' in (target / "shop.toml").read_text()
    key = (target / ".env").read_text().strip().split("=", 1)[1]
    assert len(key) >= 48
    assert (target / "themes").is_dir()

    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code == 1
    assert "already holds a store" in again.output
    assert (target / ".env").read_text().strip().endswith(key)


def test_db_upgrade_current_and_bad_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_DIR", str(tmp_path))
    monkeypatch.setenv("SHOP_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    get_settings.cache_clear()
    try:
        assert "base" in runner.invoke(app, ["db", "current"]).output
        up = runner.invoke(app, ["db", "upgrade"])
        assert up.exit_code == 0, up.output
        assert migrate.head() in runner.invoke(app, ["db", "current"]).output
        bad = runner.invoke(app, ["db", "downgrade", "zzz"])
        assert bad.exit_code == 1
        assert bad.output.count("\n") == 1 and "zzz" in bad.output
        down = runner.invoke(app, ["db", "downgrade", "base"])
        assert down.exit_code == 0, down.output
    finally:
        get_settings.cache_clear()


def test_admin_create_user_from_stdin(store: Path, db_url: str) -> None:
    result = runner.invoke(
        app,
        ["admin", "create-user", "Boss@Example.com", "--role", "owner", "--password-stdin"],
        input="correct horse battery\n",
    )
    assert result.exit_code == 0, result.output
    [user] = staff(db_url)
    assert (user.email, user.role) == ("boss@example.com", StaffRole.OWNER)
    assert verify_password(user.password_hash, "correct horse battery")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["not-an-email", "--password-stdin"], "long enough pw\n", "email"),
        (["a@example.com", "--password-stdin"], "short\n", "password"),
        (["a@example.com", "--role", "god", "--password-stdin"], "long enough pw\n", "god"),
    ],
)
def test_admin_create_user_bad_input(
    store: Path, db_url: str, args: list[str], stdin: str, message: str
) -> None:
    result = runner.invoke(app, ["admin", "create-user", *args], input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert staff(db_url) == []


def test_admin_create_user_twice_is_refused(store: Path, db_url: str) -> None:
    args = ["admin", "create-user", "a@example.com", "--password-stdin"]
    assert runner.invoke(app, args, input="long enough pw\n").exit_code == 0
    again = runner.invoke(app, args, input="long enough pw\n")
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["demo", "--dir", str(tmp_path), "--no-serve"])
    assert result.exit_code == 1
    assert "not empty" in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_creates_a_store_and_serves_it(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOP_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "shop.cli", "demo", "--dir", str(tmp_path / "demo"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                time.sleep(0.2)
        else:
            pytest.fail("the demo server did not start within 60 s")
        assert health.json() == {"status": "ok", "database": "ok"}
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert f"http://127.0.0.1:{port}/admin" in output
    assert "owner@demo.shop" in output
    assert "36 products" in output
    assert any((tmp_path / "demo" / "media" / "products").rglob("*.jpg"))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["admin", "create-user", "a@example.com", "--role", "god"], "--role"),
        (["nope"], "No such command"),
        (["init"], "Missing argument"),
    ],
)
def test_usage_errors_are_one_line_through_the_console_script(args: list[str], needle: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shop.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and needle in done.stderr
    assert done.stderr.startswith("error: shop")
