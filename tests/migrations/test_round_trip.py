"""The packaged migrations build exactly the models' schema, and come down again cleanly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, MetaData, Table, inspect, text
from sqlalchemy import types as sa_types

from shop.core import migrate
from shop.core.db import make_engine, make_session_factory
from shop.core.models import Base
from shop.core.search import belongs_to
from shop.core.site.services import ORDER_NUMBER, next_order_number, next_value
from tests.conftest import require_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    url = require_postgres()
    _reset(url)
    yield url
    # Other tests of this run share the database: give it back with the models' tables.
    _reset(url)
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()


def _reset(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


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


def _insert(conn: Connection, table: str, **values: object) -> int:
    """A row with the given values; other NOT NULL columns without a default get a plain one."""
    reflected = Table(table, MetaData(), autoload_with=conn)
    plain: dict[type, object] = {
        sa_types.Integer: 0,
        sa_types.String: "x",
        sa_types.Text: "",
        sa_types.Boolean: False,
        sa_types.DateTime: datetime(2026, 1, 1),
        sa_types.JSON: {},
    }
    row = dict(values)
    for column in reflected.columns:
        if column.name in row or column.nullable or column.primary_key or column.server_default is not None:
            continue
        row[column.name] = next(v for t, v in plain.items() if isinstance(column.type, t))
    return int(conn.execute(reflected.insert().values(row).returning(reflected.c.id)).scalar_one())


def test_0003_moves_the_variant_image_link_and_keeps_every_row(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0002")
    engine = make_engine(empty_database)
    try:
        with engine.begin() as conn:
            product = _insert(conn, "products", slug="tee", title="Tee", status="active")
            black, white = (
                _insert(conn, "variants", product_id=product, sku=sku, price=100, inventory_policy="deny")
                for sku in ("B", "W")
            )
            where = _insert(conn, "locations", name="Main", code="MAIN")
            _insert(conn, "stock_levels", variant_id=black, location_id=where, on_hand=5, allocated=0)
            photos = [
                _insert(
                    conn,
                    "product_images",
                    product_id=product,
                    source_url=f"https://x/{n}.jpg",
                    position=n,
                    variant_id=v,
                )
                for n, v in ((1, black), (2, white), (3, None))
            ]
        migrate.upgrade(empty_database, "0003")
        with engine.connect() as conn:
            images = dict(conn.execute(text("SELECT sku, image_id FROM variants")).all())
            assert images == {"B": photos[0], "W": photos[1]}
            # Batch mode rebuilt `variants` on SQLite: the stock pointing at it is still there.
            assert conn.execute(text("SELECT on_hand FROM stock_levels")).scalars().all() == [5]
        migrate.downgrade(empty_database, "0002")
        with engine.connect() as conn:
            back = dict(conn.execute(text("SELECT id, variant_id FROM product_images")).all())
            assert back == {photos[0]: black, photos[1]: white, photos[2]: None}
            assert conn.execute(text("SELECT COUNT(*) FROM stock_levels")).scalar() == 1
    finally:
        engine.dispose()


def test_0004_order_numbers_go_on_from_the_counter_and_back(empty_database: str) -> None:
    migrate.upgrade(empty_database, "0003")
    engine = make_engine(empty_database)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO counters (name, value) VALUES ('order_number', 1041)"))
        migrate.upgrade(empty_database, "0004")
        with make_session_factory(engine)() as session, session.begin():
            assert next_order_number(session) == 1042
        migrate.downgrade(empty_database, "0003")
        with make_session_factory(engine)() as session, session.begin():
            # SQLite drew 1042 from the counter already; PostgreSQL's counter takes over from the sequence.
            assert next_value(session, ORDER_NUMBER, start=1001) == 1043
    finally:
        engine.dispose()
