"""The generator's own SQL (`source.py`, `stamp.py`) held to the models, and its snapshot.

The build reads the database through the driver, without SQLAlchemy (`snapshot.py`), so
nothing would tell a renamed column or enum value from a typo until a build failed: these
tests compare every name the SQL uses with the models' metadata.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from shop.config import Settings
from shop.core.catalog.models import InventoryPolicy, Product, ProductStatus
from shop.core.db import SQLITE_BUSY_TIMEOUT_MS, make_session_factory, unit_of_work
from shop.core.models import Base
from shop.core.reviews.models import ReviewStatus
from shop.generator import source
from shop.generator.snapshot import SQLITE_TIMEOUT_S, open_snapshot
from shop.generator.stamp import AGGREGATES, catalog_stamp
from shop.generator.templating import BuildError
from tests.generator.conftest import FixtureCatalog

SQL_WORDS = {"case", "when", "then", "else", "end", "and", "or", "not", "null", "is"}


class _Recorder:
    """A snapshot that keeps the SQL it is given and answers no rows."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        self.statements.append(sql)
        return []


def _columns(table: str) -> set[str]:
    assert table in Base.metadata.tables, f"no table {table!r} in the models"
    return {c.name for c in Base.metadata.tables[table].columns}


def test_every_column_the_catalog_read_names_is_a_model_column() -> None:
    recorder = _Recorder()
    source.load_catalog(recorder)
    sql = " ".join(recorder.statements)
    # Every column is written table.column; `ranked` is the reviews query's own subquery.
    named = [(t, c) for t, c in re.findall(r"\b([a-z_]+)\.([a-z_0-9]+)\b", sql) if t != "ranked"]
    assert len(recorder.statements) == 13 and len(named) > 80
    for table, column in named:
        assert column in _columns(table), f"{table}.{column} is not a column of the models"
    tables = set(re.findall(r"\b(?:FROM|JOIN) ([a-z_]+)\b", sql))
    assert tables == {t for t, _ in named}, "a table is read without its columns being named"


def test_every_column_the_stamp_aggregates_is_a_model_column() -> None:
    recorder = _Recorder()
    catalog_stamp(recorder)
    assert len(recorder.statements) == len(AGGREGATES)
    for statement, (table, aggregates) in zip(recorder.statements, AGGREGATES.items(), strict=True):
        assert statement.endswith(f"FROM {table}")
        words = re.findall(r"\b([a-z_]+)\b(?!\s*\()", aggregates.lower())
        for word in set(words) - SQL_WORDS:
            assert word in _columns(table), f"{table}.{word} is not a column of the models"


def test_enum_values_in_the_sql_are_the_stored_ones() -> None:
    assert ProductStatus.ACTIVE.value == source.ACTIVE
    assert ReviewStatus.APPROVED.value == source.APPROVED
    assert InventoryPolicy.CONTINUE.value == source.CONTINUE


def test_a_snapshot_does_not_see_what_is_committed_while_it_is_open(
    settings: Settings, catalog: FixtureCatalog, engine: Engine
) -> None:
    count = "SELECT COUNT(*) FROM products"
    with open_snapshot(settings.resolved_database_url) as db:
        before = db.rows(count)
        with unit_of_work(make_session_factory(engine)) as s:
            s.add(Product(title="Late", slug="late", status=ProductStatus.ACTIVE))
        assert db.rows(count) == before
    with open_snapshot(settings.resolved_database_url) as db:
        assert db.rows(count)[0][0] == before[0][0] + 1


def test_the_snapshot_waits_for_sqlite_as_long_as_the_application_does() -> None:
    # snapshot.py cannot import shop.core.db (SQLAlchemy) for the constant: held equal here.
    assert SQLITE_TIMEOUT_S * 1000 == SQLITE_BUSY_TIMEOUT_MS


def test_a_missing_sqlite_file_is_named_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    message = rf"database {re.escape(str(missing))} does not exist.*shop db upgrade"
    with pytest.raises(BuildError, match=message), open_snapshot(f"sqlite:///{missing}"):
        pass
    assert not missing.exists()


@pytest.mark.parametrize("url", ["mysql+pymysql://u@h/db", "sqlite://", "sqlite:///:memory:"])
def test_a_database_the_storefront_cannot_read_is_a_clear_error(url: str) -> None:
    with pytest.raises(BuildError, match="the storefront reads"), open_snapshot(url):
        pass


def test_shop_build_imports_neither_sqlalchemy_nor_pillow() -> None:
    """What the snapshot is for: the build command's start without SQLAlchemy's 0.3 s (and
    without Pillow's 25 ms when there are no images to make)."""
    code = (
        "import sys; import shop.cli, shop.generator.pipeline, shop.generator.source,"
        " shop.generator.images, shop.generator.search, shop.generator.pages, shop.generator.render;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'PIL'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
