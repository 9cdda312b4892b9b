"""The packaged migrations build exactly the models' schema, and come down again cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from shop.core import migrate
from shop.core.db import make_engine
from shop.core.models import Base
from shop.core.search import belongs_to
from tests.conftest import require_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrate.db'}"
    url = require_postgres()
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    engine.dispose()
    return url


def test_upgrade_matches_models_then_downgrade_to_base(empty_database: str) -> None:
    migrate.upgrade(empty_database, "head")
    assert migrate.current(empty_database) == migrate.head()

    engine = make_engine(empty_database)
    try:
        with engine.connect() as conn:
            dialect = conn.dialect.name
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "compare_server_default": True,
                    "include_object": lambda obj, *_: belongs_to(obj, dialect),
                },
            )
            assert compare_metadata(context, Base.metadata) == []
            assert set(inspect(conn).get_table_names()) >= set(Base.metadata.tables)

        migrate.downgrade(empty_database, "base")
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    assert migrate.current(empty_database) is None


def test_unknown_revision_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(migrate.MigrationError, match="nope"):
        migrate.upgrade(f"sqlite:///{tmp_path / 'x.db'}", "nope")
