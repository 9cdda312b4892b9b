"""Alembic environment: the database comes from shop's settings (or the caller's config)."""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.util.exc import CommandError
from sqlalchemy import Connection, event, text

from shop.core.db import make_engine
from shop.core.models import Base
from shop.core.search import belongs_to

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("database_url")
    if url:
        return str(url)
    from shop.config import get_settings

    return get_settings().resolved_database_url


def _configure(connection: Connection | None = None, url: str | None = None) -> None:
    dialect = connection.dialect.name if connection is not None else (url or "").split(":")[0].split("+")[0]
    context.configure(
        connection=connection,
        url=url,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=dialect.startswith("sqlite"),
        compare_type=True,
        compare_server_default=True,
        literal_binds=connection is None,
        include_object=lambda obj, _name, _type, _reflected, _compare_to: belongs_to(obj, dialect),
    )


def run_offline() -> None:
    _configure(url=_url())
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = _url()
    engine = make_engine(url)
    sqlite = url.startswith("sqlite")
    if sqlite:
        # Batch mode copies a table and drops the old one; with foreign keys on, that DROP
        # runs the ON DELETE actions of every table pointing at it (nulling or deleting
        # their rows). Off for the migration, checked at its end.
        event.listen(engine, "connect", _foreign_keys_off)
    try:
        with engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    _check_foreign_keys(conn)
    finally:
        engine.dispose()


def _foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")


def _check_foreign_keys(conn: Connection) -> None:
    broken = conn.execute(text("PRAGMA foreign_key_check")).all()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise CommandError(
            f"the migration left {len(broken)} rows pointing at missing rows "
            f"(first: {table} row {rowid} -> {parent}); nothing was changed"
        )


if context.is_offline_mode():
    run_offline()
else:
    run_online()
