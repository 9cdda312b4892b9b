"""The `shop` command: thin; parses, opens the unit of work, calls services, prints."""

from __future__ import annotations

import gc
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from shop.catalog_cli import catalog_app
from shop.cli_worker import worker
from shop.config import ConfigError, Settings, check_production, get_settings
from shop.generator.cli import register as register_generator
from shop.generator.publish.commands import publish_app
from shop.orders_cli import orders_app

if TYPE_CHECKING:
    # Only the commands that use the database import SQLAlchemy (0.3 s): not `shop build`.
    from sqlalchemy.orm import Session

app = typer.Typer(
    help="shop: run a store's catalog, stock and orders, and build its static storefront.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
admin_app = typer.Typer(help="Admin (staff) accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
app.command()(worker)
app.add_typer(catalog_app)  # shop import, shop export
app.add_typer(publish_app)  # shop publish, shop releases
app.add_typer(orders_app, name="orders")
register_generator(app)  # shop build, shop preview, shop theme


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def load_settings() -> Settings:
    try:
        settings = get_settings()
    except ValueError as exc:  # pydantic's ValidationError
        fail(_first_setting_error(exc))
    try:
        check_production(settings)
    except ConfigError as exc:
        fail(str(exc))
    return settings


def _first_setting_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        return f"setting SHOP_{field.upper()}: {first.get('msg')}"
    return str(exc)


@contextmanager
def unit_of_work(settings: Settings) -> Iterator[Session]:
    from shop.core.db import make_engine, make_session_factory
    from shop.core.db import unit_of_work as uow

    engine = make_engine(settings.resolved_database_url)
    try:
        with uow(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


# -- init -------------------------------------------------------------------------------

SHOP_TOML = """\
# Settings of this store. Environment variables SHOP_<NAME> and .env override these.
store_name = "{name}"
currency = "EUR"
country = "DE"
database_url = "sqlite:///./shop.db"
site_url = "http://127.0.0.1:8000"
api_url = "http://127.0.0.1:8000/api/v1"
output_dir = "public"
media_dir = "media"
theme = "default"
payment_provider = "manual"
"""


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="Folder for the new store (created if missing).")],
    name: Annotated[str, typer.Option(help="The store's name.")] = "My Store",
) -> None:
    """Scaffold a store: shop.toml, a .env with a fresh secret key, and an empty themes/."""
    if (directory / "shop.toml").exists() or (directory / ".env").exists():
        fail(f"{directory}: already holds a store (shop.toml or .env exists); not overwriting it")
    if directory.exists() and not directory.is_dir():
        fail(f"{directory}: exists and is not a folder")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "themes").mkdir(exist_ok=True)
    (directory / "shop.toml").write_text(SHOP_TOML.format(name=name.replace('"', "'")))
    env = directory / ".env"
    env.write_text(f"SHOP_SECRET_KEY={secrets.token_urlsafe(48)}\n")
    env.chmod(0o600)
    (directory / ".gitignore").write_text(".env\nshop.db*\npublic/\nmedia/\n.shop/\n")
    typer.echo(f"Created store in {directory}")
    typer.echo(
        f"Next: cd {directory} && shop db upgrade && shop admin create-user you@example.com --role owner"
    )


# -- db ---------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from shop.core import migrate

    settings = load_settings()
    try:
        migrate.upgrade(settings.resolved_database_url, revision)
    except migrate.MigrationError as exc:
        fail(str(exc))
    typer.echo(f"Database at {migrate.current(settings.resolved_database_url) or 'base'}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, or 'base'.")]) -> None:
    """Revert migrations down to REVISION."""
    from shop.core import migrate

    settings = load_settings()
    try:
        migrate.downgrade(settings.resolved_database_url, revision)
    except migrate.MigrationError as exc:
        fail(str(exc))
    typer.echo(f"Database at {migrate.current(settings.resolved_database_url) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """Print the revision the database is at."""
    from shop.core import migrate

    settings = load_settings()
    try:
        typer.echo(migrate.current(settings.resolved_database_url) or "base (no migrations applied)")
    except migrate.MigrationError as exc:
        fail(str(exc))


# -- admin users ------------------------------------------------------------------------


class RoleChoice(StrEnum):
    owner = "owner"
    manager = "manager"
    support = "support"
    viewer = "viewer"


@admin_app.command("create-user")
def admin_create_user(
    email: Annotated[str, typer.Argument(help="The staff member's e-mail (their login).")],
    role: Annotated[RoleChoice, typer.Option(help="What they may do in the admin.")] = RoleChoice.viewer,
    name: Annotated[str, typer.Option(help="Full name.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a staff account for the admin."""
    from shop.core.errors import DomainError
    from shop.core.staff.models import StaffRole
    from shop.core.staff.services import create_staff_user

    settings = load_settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with unit_of_work(settings) as session:
            create_staff_user(
                session, email=email, password=password, role=StaffRole(role.value), full_name=name
            )
    except DomainError as exc:
        fail(f"{exc.field or 'input'}: {exc.detail}")
    except Exception as exc:
        fail(_database_hint(exc))
    typer.echo(f"Created {role.value} {email.strip().lower()}")


def _database_hint(exc: Exception) -> str:
    text = str(exc).splitlines()[0]
    if "no such table" in text or "does not exist" in text:
        return f"the database has no tables yet; run `shop db upgrade` first ({text})"
    return text


# -- serve and demo ---------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    workers: Annotated[int | None, typer.Option(help="API processes (default SHOP_WORKERS).", min=1)] = None,
    site: Annotated[
        bool, typer.Option("--site/--no-site", help="Also serve the built storefront at /.")
    ] = False,
) -> None:
    """Run the API (/api/v1) and the admin (/admin)."""
    from shop import server

    settings = load_settings()
    processes = workers or settings.workers
    try:
        check_production(settings, processes=processes)
    except ConfigError as exc:
        fail(str(exc))
    factory = "shop.api.asgi:site_app" if site else "shop.api.asgi:app"
    try:
        server.serve(factory, host=host, port=port, workers=processes, log_level=settings.log_level.lower())
    except server.ServeError as exc:
        fail(str(exc))


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where to create the demo store.")] = Path("."),
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Set up, then exit without serving.")] = False,
) -> None:
    """Create a demo store (catalog, stock, reviews, owner login) and serve it."""
    from shop import demo_store

    directory = directory.resolve()
    try:
        result = demo_store.create(directory, host=host, port=port)
    except demo_store.DemoError as exc:
        fail(str(exc))
    for line in result.lines:
        typer.echo(line)
    if no_serve:
        return
    import os

    import uvicorn

    os.environ["SHOP_DIR"] = str(directory)
    get_settings.cache_clear()
    uvicorn.run("shop.api.asgi:site_app", host=host, port=port, factory=True, log_level="warning")


# Typer vendors Click; its UsageError is the base of BadParameter, which Typer exports.
_UsageError: Any = typer.BadParameter.__mro__[1]


def main() -> None:
    """The console script: Click's usage errors become one line, like every other error."""
    try:
        code = app(prog_name="shop", standalone_mode=False)
    except _UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "shop"
        typer.echo(f"error: {where}: {exc.format_message()} (see --help)", err=True)
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        sys.exit(1)
    # The process ends here. What a command made and left to the collector would be walked
    # again by the interpreter's shutdown collections (after `shop build` of 10,000 products,
    # 0.25 s of its 10). Frozen, it is simply dropped with the process.
    gc.freeze()
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
