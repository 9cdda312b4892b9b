"""Substring search indexes: trigram GIN indexes on PostgreSQL.

The admin searches with `ILIKE '%term%'`, which no B-tree can serve; pg_trgm's GIN
indexes can, and keep searches over hundreds of thousands of rows in milliseconds.
SQLite has no such index and scans, which is quick at the sizes an SQLite store has.
"""

from __future__ import annotations

from sqlalchemy import DDL, Index, event

from shop.core.db import Base


def trigram_indexes(table: str, *columns: str) -> tuple[Index, ...]:
    """One index per column: the planner combines them for `a ILIKE x OR b ILIKE x`, and
    costs a multi-column GIN index so high that it would rather scan the table."""
    return tuple(
        Index(
            f"ix_{table}_{column}_trgm",
            column,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql")
        for column in columns
    )


def belongs_to(obj: object, dialect: str) -> bool:
    """False for a dialect-only index on another database (for Alembic's `include_object`,
    whose comparison does not honour `ddl_if`)."""
    condition = getattr(obj, "_ddl_if", None)
    wanted = getattr(condition, "dialect", None)
    return wanted is None or wanted == dialect


# create_all (tests, `shop demo`) needs the extension before the indexes; migrations create it too.
event.listen(
    Base.metadata,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)
