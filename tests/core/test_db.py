"""PostgreSQL connections: pinged before use only after sitting idle, and replaced when dead."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from shop.core import db
from shop.core.db import make_engine
from tests.conftest import require_postgres


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _kill(url: str, pid: int) -> None:
    """What a database restart or an idle timeout does to a pooled connection."""
    other = make_engine(url)
    with other.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    other.dispose()


@pytest.fixture
def pool_of_one() -> Iterator[tuple[str, Engine, int]]:
    """(url, an engine keeping one connection, that connection's backend, now killed)."""
    url = require_postgres()
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        dead = _backend(engine)
        _kill(url, dead)
        yield url, engine, dead
    finally:
        engine.dispose()


def test_an_idle_connection_that_died_is_replaced_before_use(
    monkeypatch: pytest.MonkeyPatch, pool_of_one: tuple[str, Engine, int]
) -> None:
    _, engine, dead = pool_of_one
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
    # The pooled connection is pinged, found dead and replaced: the caller never sees it.
    assert _backend(engine) != dead


def test_a_connection_in_steady_use_is_not_pinged(
    monkeypatch: pytest.MonkeyPatch, pool_of_one: tuple[str, Engine, int]
) -> None:
    _, engine, dead = pool_of_one
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 3600.0)
    # Used a moment ago, it is trusted: no round trip before the request, which then meets
    # the dead connection (what the idle threshold trades for the round trip).
    with pytest.raises(OperationalError):
        _backend(engine)
    # The pool dropped it: the next request gets a new one.
    assert _backend(engine) != dead
