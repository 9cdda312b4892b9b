"""`shop demo`: a complete store in a folder, ready to serve, in one step.

It sits beside the CLI, not in core/, because it also builds the storefront (generator)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from shop.config import Settings
from shop.core import migrate
from shop.core.db import make_engine, make_session_factory, unit_of_work
from shop.core.demo import load_demo_catalog
from shop.core.staff.models import StaffRole
from shop.core.staff.services import create_staff_user

DEMO_OWNER = "owner@demo.shop"
LOGIN_FILE = "demo-login.txt"
MARKER = "# shop demo store"


class DemoError(Exception):
    pass


@dataclass
class DemoResult:
    directory: Path
    password: str
    created: bool
    lines: list[str] = field(default_factory=list)


def create(directory: Path, *, host: str = "127.0.0.1", port: int = 8000) -> DemoResult:
    """Create (or reopen) the demo store in `directory`; the folder must be empty or a demo."""
    directory.mkdir(parents=True, exist_ok=True)
    toml = directory / "shop.toml"
    reopening = toml.exists() and toml.read_text().startswith(MARKER)
    if not reopening and any(p for p in directory.iterdir() if not p.name.startswith(".")):
        raise DemoError(f"{directory}: not empty; run `shop demo` in an empty folder (or use --dir NEW)")
    base = f"http://{host}:{port}"
    if not reopening:
        toml.write_text(
            f'{MARKER}\nstore_name = "Demo Store"\ncurrency = "EUR"\ncountry = "DE"\n'
            f'site_url = "{base}"\napi_url = "{base}/api/v1"\n'
        )
        env = directory / ".env"
        env.write_text(f"SHOP_SECRET_KEY={secrets.token_urlsafe(48)}\n")
        env.chmod(0o600)
        (directory / "themes").mkdir(exist_ok=True)
    previous = os.environ.get("SHOP_DIR")
    os.environ["SHOP_DIR"] = str(directory)
    try:
        settings = Settings(dir=directory)
    finally:
        if previous is None:
            os.environ.pop("SHOP_DIR", None)
        else:
            os.environ["SHOP_DIR"] = previous
    url = settings.resolved_database_url
    try:
        migrate.upgrade(url)
    except migrate.MigrationError as exc:
        raise DemoError(str(exc)) from None

    login_file = directory / LOGIN_FILE
    if reopening and login_file.exists():
        password = login_file.read_text().split()[-1]
    else:
        password = secrets.token_urlsafe(12)
        engine = make_engine(url)
        try:
            with unit_of_work(make_session_factory(engine)) as session:
                summary = load_demo_catalog(session, media_dir=settings.media_path)
                create_staff_user(
                    session, email=DEMO_OWNER, password=password, role=StaffRole.OWNER, full_name="Demo Owner"
                )
        finally:
            engine.dispose()
        login_file.write_text(f"{DEMO_OWNER} {password}\n")
        login_file.chmod(0o600)
    result = DemoResult(directory=directory, password=password, created=not reopening)
    build_lines = _build_storefront(settings)
    if result.created:
        result.lines.append(
            f"Demo store created in {directory}: {summary.products} products, {summary.variants} "
            f"variants, {summary.images} images, {summary.reviews} reviews."
        )
    result.lines += build_lines
    result.lines += [
        f"Storefront: {base}/",
        f"Admin:      {base}/admin  (login {DEMO_OWNER} / {password})",
        f"API:        {base}/api/v1/docs",
        "Press Ctrl+C to stop.",
    ]
    return result


def _build_storefront(settings: Settings) -> list[str]:
    from shop.generator.pipeline import build_site

    summary = build_site(settings)
    return [f"Storefront built: {summary.pages_written} pages in {summary.seconds:.1f}s."]
