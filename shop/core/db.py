"""Engine, sessions and the declarative base shared by every domain package.

SQLite runs in WAL mode with foreign keys on and a busy timeout, so several API
processes can share one file in development; PostgreSQL goes through psycopg 3.
Transactions belong to the edge: `unit_of_work()` is what a CLI command, a worker
job or a test opens; services only ever receive the session.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, exc, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic can name, compare and drop them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 30_000


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use shop.core.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy (not pysqlite) decide when transactions begin, so that
    # `BEGIN IMMEDIATE` below is really the first statement of each transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A deferred transaction that reads and then writes fails at once with "database is
    # locked" when another process wrote meanwhile, without waiting for the busy timeout.
    # Taking the write lock up front makes concurrent writers queue instead. Sessions
    # made with `read_only=True` begin deferred, so readers never wait for writers (WAL).
    read_only = conn.get_execution_options().get("shop_read_only", False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_engine(url: str, *, echo: bool = False, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
            kwargs["poolclass"] = StaticPool
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # Kept connections are made on demand; a pool smaller than a worker's concurrent requests
    # opens and closes an overflow connection (a PostgreSQL backend fork) per request.
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    # Most recently used first: the few connections a normal load needs stay the warm ones
    # (their backend's caches and psycopg's prepared statements), instead of every pooled
    # connection taking turns and each paying its own warm-up.
    kwargs.setdefault("pool_use_lifo", True)
    engine = create_engine(url, echo=echo, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


# A pooled connection used this recently is taken as alive; one idle longer is pinged first.
IDLE_PING_SECONDS = 10.0
_RETURNED = "shop_returned_at"


def _ping_when_idle(engine: Engine) -> None:
    """`pool_pre_ping`, for connections that sat idle only. The pre-ping cost a round trip
    before every request, while what it guards against (a database restart, a connection
    closed by an idle timeout or a firewall) strikes connections that waited unused. A dead
    one is replaced before the request sees it: the pool retries with a new connection."""
    dialect = engine.dialect

    def returned(_dbapi: Any, record: Any, *_: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    def checkout(dbapi: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_RETURNED, 0.0) <= IDLE_PING_SECONDS:
            return
        try:
            dialect.do_ping(dbapi)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi, None):
                raise exc.DisconnectionError(str(error)) from error
            raise

    event.listen(engine, "connect", returned)
    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", checkout)


def make_session_factory(
    engine: Engine, *, read_only: bool = False, snapshot: bool = True
) -> sessionmaker[Session]:
    """`read_only` sessions never take SQLite's write lock. `snapshot=False` (PostgreSQL) lets
    each statement of a read-only session see the latest commit instead of one snapshot, with
    no BEGIN and COMMIT around them: two round trips fewer for a request that reads a few
    independent things (a cart, the shipping methods, the tax rate)."""
    bind = engine.execution_options(shop_read_only=True) if read_only else engine
    info: dict[str, Any] = {}
    if read_only and not snapshot and engine.dialect.name == "postgresql":
        bind = bind.execution_options(isolation_level="AUTOCOMMIT")
        info[_AUTOCOMMIT] = True
    return sessionmaker(bind=bind, expire_on_commit=False, info=info)


# Session.info key: the session's statements run without a transaction (AUTOCOMMIT).
_AUTOCOMMIT = "shop_autocommit"


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def read_unit(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A read-only session for the block, ended by `end_read` (COMMIT, not ROLLBACK)."""
    session = factory()
    try:
        yield session
    finally:
        end_read(session)


def end_read(session: Session) -> None:
    """Finish a read-only session: COMMIT rather than the ROLLBACK that close() would send.

    Both end a transaction that wrote nothing, but psycopg forgets every prepared statement
    of a connection on ROLLBACK (and sends DEALLOCATE ALL), so a pool whose reads always
    rolled back re-planned every statement on every request.
    """
    try:
        # Without a database transaction (AUTOCOMMIT) there is nothing to end: close() then
        # sends no ROLLBACK (psycopg skips it on an idle connection), and a commit would
        # only run the session's bookkeeping.
        if session.in_transaction() and not session.info.get(_AUTOCOMMIT):
            session.commit()
    finally:
        session.close()


def ping(engine: Engine) -> bool:
    # begin(): committed, not rolled back, for the reason given in end_read.
    with engine.begin() as conn:
        conn.execute(text("SELECT 1"))
    return True
