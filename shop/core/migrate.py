"""Running the packaged Alembic migrations from code (CLI, demo, tests)."""

from __future__ import annotations

from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from shop.core.db import make_engine
from shop.migrations import alembic_config


class MigrationError(Exception):
    pass


def upgrade(database_url: str, revision: str = "head") -> None:
    _run(command.upgrade, database_url, revision)


def downgrade(database_url: str, revision: str) -> None:
    _run(command.downgrade, database_url, revision)


def current(database_url: str) -> str | None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        raise MigrationError(f"cannot reach the database: {_first_line(exc)}") from None
    finally:
        engine.dispose()


def head() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _run(step: object, database_url: str, revision: str) -> None:
    try:
        step(alembic_config(database_url), revision)  # type: ignore[operator]
    except CommandError as exc:
        raise MigrationError(f"revision {revision!r}: {exc}") from None
    except SQLAlchemyError as exc:
        raise MigrationError(f"cannot migrate the database: {_first_line(exc)}") from None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]
