"""Shared fixtures: a database per test on SQLite, and on PostgreSQL when
SHOP_TEST_DATABASE_URL points at one (CI runs the suite both ways).

- `db_url`: a database with the full schema that the test may commit to (HTTP tests,
  real servers, CLI). SQLite: a fresh copy of a migrated template file. PostgreSQL:
  the shared test database, emptied after the test.
- `session`: a Session inside a transaction that is rolled back after the test.
- `settings`: Settings for a store in `tmp_path` using `db_url`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from shop.config import Settings
from shop.core.db import make_engine, make_session_factory, unit_of_work
from shop.core.models import Base
from tests.smtp_inbox import Inbox, start_inbox

PG_ENV = "SHOP_TEST_DATABASE_URL"


def postgres_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def require_postgres() -> str:
    url = postgres_url()
    if not url:
        pytest.skip(
            f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file with the schema, copied for every test that needs a database."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()  # the last connection to close folds the WAL into the main file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str | None]:
    url = postgres_url()
    if not url:
        yield None
        return
    engine = make_engine(url)
    # The test database is the tests' own: start from an empty schema whatever an earlier run
    # (an older schema, a migration test stopped half way) left, which drop_all cannot undo.
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db_url(tmp_path: Path, sqlite_template: Path, postgres_schema: str | None) -> Iterator[str]:
    if postgres_schema:
        yield postgres_schema
        engine = make_engine(postgres_schema)
        _truncate_all(engine)
        engine.dispose()
        return
    target = tmp_path / "shop.db"
    shutil.copyfile(sqlite_template, target)
    yield f"sqlite:///{target}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back at the end, even what services flushed."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(
        dir=tmp_path,
        env="test",
        database_url=db_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        site_url="http://shop.test",
        api_url="http://shop.test/api/v1",
    )


@pytest.fixture
def db(engine: Engine) -> Callable[[], AbstractContextManager[Session]]:
    """Committed units of work, for data that an app or server under test must see:
    `with db() as s: make_product(s)`. Each block commits on exit and releases SQLite's lock."""
    factory = make_session_factory(engine)
    return lambda: unit_of_work(factory)


@pytest.fixture
def smtp_inbox() -> Iterator[Inbox]:
    """A real SMTP server on a free port; `inbox.url` is what SHOP_SMTP_URL would say."""
    inbox, controller = start_inbox()
    yield inbox
    controller.stop()
