"""One read-only snapshot of the store's database, through its driver alone.

Every build command reads the catalog and writes nothing to the database. Importing
SQLAlchemy with the ORM and the models took about 0.3 s of each such command (more than
the whole work of a build with nothing to do), for the engine and the compiled statements
of a handful of selects. So the generator speaks to sqlite3 or psycopg directly, with SQL
of its own (`source.py`, `stamp.py`) that `tests/generator/test_source.py` holds to the
models' tables, columns and enum values.

The snapshot is one transaction: on SQLite a deferred `BEGIN` (readers never wait for
writers in WAL mode; the snapshot is taken at the first read), on PostgreSQL `REPEATABLE
READ, READ ONLY`, so every statement sees the same commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from shop.generator.templating import BuildError

# As the application's own engine waits (shop.core.db.SQLITE_BUSY_TIMEOUT_MS), without
# importing it: a reader waits only while a writer checkpoints or recovers the WAL.
SQLITE_TIMEOUT_S = 30.0


class Snapshot(Protocol):
    def rows(self, sql: str) -> list[Any]:
        """Every row of a statement without parameters, as plain tuples."""
        ...


class _Cursor:
    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def rows(self, sql: str) -> list[Any]:
        cursor = self._conn.cursor()
        try:
            cursor.execute(sql)
            return cursor.fetchall()
        finally:
            cursor.close()


@contextmanager
def open_snapshot(url: str) -> Iterator[Snapshot]:
    """A snapshot of the database at `url` (a SQLAlchemy URL, as in the settings)."""
    scheme, _, rest = url.partition("://")
    if scheme in ("sqlite", "sqlite+pysqlite"):
        conn = _sqlite(url, rest)
        try:
            conn.execute("BEGIN")
            yield _Cursor(conn)
        finally:
            conn.close()  # rolls the read transaction back
    elif scheme in ("postgresql", "postgresql+psycopg"):
        import psycopg

        # libpq takes the same URL once the SQLAlchemy driver name is gone.
        with psycopg.connect("postgresql://" + rest) as pg:
            pg.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            pg.read_only = True
            try:
                yield _Cursor(pg)
            finally:
                pg.rollback()
    else:
        raise BuildError(
            f"database URL {scheme}://…: the storefront reads SQLite (sqlite:///path) "
            "or PostgreSQL (postgresql+psycopg://…)"
        )


def _sqlite(url: str, rest: str) -> sqlite3.Connection:
    # sqlite:///relative or sqlite:////absolute; the settings anchor a relative path already.
    path = rest[1:] if rest.startswith("/") else rest
    if not path or ":memory:" in path or "?" in path:
        raise BuildError(f"database URL {url}: the storefront reads a SQLite file (sqlite:///path)")
    if not Path(path).is_file():
        # Connecting would create an empty file in its place.
        raise BuildError(f"database {path} does not exist; run `shop db upgrade` first")
    return sqlite3.connect(path, timeout=SQLITE_TIMEOUT_S, isolation_level=None)
